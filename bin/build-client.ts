/** `npm run build:client`: client/dist/ (bundle, declarations, contract types), with its size. */
import { buildClientPackage } from "../client/build.ts";

const { file, bytes, gzipBytes } = await buildClientPackage();
process.stdout.write(`${file}: ${bytes} bytes minified, ${gzipBytes} bytes gzipped\n`);
