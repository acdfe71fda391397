import { briefPreset } from "./brief.ts";
import { jetAdminPreset } from "./jet-admin.ts";
import { ledgerEnterprisePreset } from "./ledger-enterprise.ts";
import { tokenosPreset } from "./tokenos.ts";
import { xSignatureOrganizationPreset, xSignaturePreset } from "./x-signature.ts";

/** Ready-made vendor connections. A new preset is one file plus one line here. */
export const PRESETS = [
  briefPreset,
  tokenosPreset,
  xSignaturePreset,
  xSignatureOrganizationPreset,
  jetAdminPreset,
  ledgerEnterprisePreset,
] as const;
