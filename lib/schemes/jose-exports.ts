// What the schemes use of jose, named so the bundler keeps only this much in the lazy chunk.
export { importJWK, importPKCS8, SignJWT } from "jose";
