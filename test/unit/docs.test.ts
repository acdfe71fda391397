import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/** The README and docs/ stay true to the tree: every link resolves, the layout map names every folder. */
const markdown = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
];
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");
const anchorsOf = (file: string) =>
  new Set([...readFileSync(file, "utf8").matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1] as string)));

describe("the docs", () => {
  it.each(markdown)("%s: every relative link and anchor resolves", (file) => {
    const broken: string[] = [];
    for (const [, target] of readFileSync(file, "utf8").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const resolved = path ? normalize(join(dirname(file), path)) : file;
      if (!existsSync(resolved)) broken.push(target);
      else if (anchor && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });

  it("the README's layout map names every folder of lib/ and infra/", () => {
    const readme = readFileSync("README.md", "utf8");
    const layout = readme.slice(readme.indexOf("Layout:"));
    for (const folder of readdirSync("lib", { withFileTypes: true }).filter((d) => d.isDirectory())) {
      expect(layout, `lib/${folder.name}`).toContain(`\`${folder.name}/\``);
    }
    for (const folder of ["functions/", "infra/", "client/", "bin/", "bench/", "examples/", "docs/"]) {
      expect(layout).toContain(`\`${folder}\``);
    }
  });
});

describe("the configuration reference", () => {
  it("docs/config-reference.md is what the schemas generate (npm run docs:config)", async () => {
    const { configReference } = await import("../../lib/config/reference.ts");
    expect(readFileSync("docs/config-reference.md", "utf8")).toBe(configReference());
  });
});
