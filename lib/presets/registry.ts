import { appStoreConnectPreset } from "./app-store-connect.ts";
import { auth0M2mPreset } from "./auth0-m2m.ts";
import { briefPreset } from "./brief.ts";
import { entraCertificatePreset } from "./entra-certificate.ts";
import { githubAppPreset } from "./github-app.ts";
import { googleServiceAccountPreset } from "./google-service-account.ts";
import { jetAdminPreset } from "./jet-admin.ts";
import { ledgerEnterprisePreset } from "./ledger-enterprise.ts";
import { salesforceJwtBearerPreset } from "./salesforce-jwt-bearer.ts";
import { tokenosPreset } from "./tokenos.ts";
import { xSignatureOrganizationPreset, xSignaturePreset } from "./x-signature.ts";
import { zoomServerToServerPreset } from "./zoom-server-to-server.ts";

/** Ready-made vendor connections. A new preset is one file plus one line here. */
export const PRESETS = [
  briefPreset,
  tokenosPreset,
  xSignaturePreset,
  xSignatureOrganizationPreset,
  jetAdminPreset,
  ledgerEnterprisePreset,
  githubAppPreset,
  googleServiceAccountPreset,
  salesforceJwtBearerPreset,
  zoomServerToServerPreset,
  entraCertificatePreset,
  appStoreConnectPreset,
  auth0M2mPreset,
] as const;
