/**
 * `npm run build`: the installable packages, and their sizes.
 * - token-broker (this repository): `tsc` to dist/ (JavaScript and declarations for the library,
 *   the CDK construct, the handlers and the CLI), plus the functions prebuilt as deployed
 *   (dist/assets/<function>/, bundled by infra/bundling.ts), so a consumer's synth needs neither
 *   esbuild nor our sources;
 * - @token-broker/client (client/): types generated from docs/openapi.json, one minified ESM file
 *   and its declarations.
 * Both are packed into .packages/ (npm pack); the sizes are printed and written to
 * .packages/sizes.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildClientPackage, rewriteDeclarations } from "../client/build.ts";
import { bundleFunction } from "../infra/bundling.ts";

const root = resolve(import.meta.dirname, "..");
const out = join(root, ".packages");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const npm = process.env.npm_execpath;

function pack(dir: string): { file: string; size: number; unpackedSize: number; files: string[] } {
  const args = ["pack", "--json", "--pack-destination", out];
  const json = npm?.endsWith(".js")
    ? execFileSync(process.execPath, [npm, ...args], { cwd: dir })
    : execFileSync("npm", args, { cwd: dir });
  const [result] = JSON.parse(json.toString()) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  if (!result) throw new Error(`npm pack wrote nothing for ${dir}`);
  return {
    file: join(out, result.filename),
    size: result.size,
    unpackedSize: result.unpackedSize,
    files: result.files.map((f) => f.path),
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

rmSync(join(root, "dist"), { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
  cwd: root,
});
rewriteDeclarations(join(root, "dist"));
for (const fn of ["token", "prewarm"]) {
  bundleFunction(join(root, "functions", fn, "handler.ts"), join(root, "dist", "assets", fn));
}
const client = await buildClientPackage();

const packages = { broker: pack(root), client: pack(join(root, "client")) };
const sizes = {
  "token-broker": { tarball: packages.broker.size, installed: packages.broker.unpackedSize },
  "@token-broker/client": {
    tarball: packages.client.size,
    installed: packages.client.unpackedSize,
    minified: client.bytes,
    gzipped: client.gzipBytes,
  },
};
writeFileSync(join(out, "sizes.json"), `${JSON.stringify({ ...sizes, packages }, null, 2)}\n`);
process.stdout.write(
  [
    `token-broker: ${packages.broker.file}`,
    `  tarball ${kib(sizes["token-broker"].tarball)}, installed ${kib(sizes["token-broker"].installed)} (${packages.broker.files.length} files; dependencies not counted)`,
    `@token-broker/client: ${packages.client.file}`,
    `  tarball ${kib(sizes["@token-broker/client"].tarball)}, installed ${kib(sizes["@token-broker/client"].installed)}, broker-client.js ${kib(client.bytes)} minified, ${kib(client.gzipBytes)} gzipped`,
    "",
  ].join("\n"),
);
