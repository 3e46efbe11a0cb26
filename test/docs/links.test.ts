// The documentation stands on its own: every relative link in README.md, docs/*.md and the
// examples' READMEs resolves to a file of the repository (tracked, or new and not ignored;
// generated output such as dist/ and docs/api/ does not count), an anchor names a heading of
// its target, and no page points at notes kept outside the repository.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** Generated or installed, never part of the repository (used when git is not at hand). */
const NOT_OURS = new Set(["node_modules", "dist", "docs/api", ".git", ".sim-data", "coverage", ".tmp"]);

/** Files of the repository: tracked, plus new ones that are not ignored; without git, the
 *  files on disk minus generated output. */
function repositoryFiles(): Set<string> {
  try {
    const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return new Set(out.split("\n").filter((l) => l !== "" && existsSync(join(ROOT, l))));
  } catch {
    const found = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = dir === "" ? entry.name : dir + "/" + entry.name;
        if (NOT_OURS.has(rel)) continue;
        if (entry.isDirectory()) walk(rel);
        else found.add(rel);
      }
    };
    walk("");
    return found;
  }
}

function pages(): string[] {
  const list = ["README.md"];
  for (const name of readdirSync(join(ROOT, "docs")).sort()) if (name.endsWith(".md")) list.push("docs/" + name);
  for (const name of readdirSync(join(ROOT, "examples")).sort()) if (existsSync(join(ROOT, "examples", name, "README.md"))) list.push("examples/" + name + "/README.md");
  return list;
}

/** Markdown text without fenced code blocks and inline code (links there are not links). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Targets of inline links and images, and of reference definitions. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const out: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) out.push(m[1]);
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of markdown.replace(/^(```|~~~)[\s\S]*?^\1[^\n]*$/gm, "").matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : base + "-" + n);
  }
  return out;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

const links = suite("docs: links");

links("linkTargets and slug: inline, images, references; code ignored; GitHub anchors", () => {
  assert.equal(linkTargets("see [a](docs/a.md) and ![b](img.svg \"t\")\n\n[c]: ../c.md\n`[d](no.md)`\n```\n[e](no.md)\n```\n"), ["docs/a.md", "img.svg", "../c.md"]);
  assert.is(slug("Using the client"), "using-the-client");
  assert.is(slug("What `npm start` shows"), "what-npm-start-shows");
  assert.is(slug("Security: stock Espruino does not verify the server"), "security-stock-espruino-does-not-verify-the-server");
});

links("every relative link in README.md, docs/*.md and examples/*/README.md names a file in the repository", () => {
  const files = repositoryFiles();
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages()) {
    const text = readFileSync(join(ROOT, page), "utf8");
    for (const target of linkTargets(text)) {
      if (EXTERNAL.test(target)) continue;
      checked++;
      const [pathPart, fragment] = target.split("#", 2);
      const path = decodeURIComponent(pathPart.split("?")[0]);
      const full = path === "" ? join(ROOT, page) : resolve(ROOT, dirname(page), path);
      const rel = relative(ROOT, full).split("\\").join("/");
      if (rel.startsWith("..")) {
        broken.push(page + ": " + target + " (outside the repository)");
        continue;
      }
      const isFile = files.has(rel);
      const isDir = !isFile && [...files].some((f) => f.startsWith(rel + "/"));
      if (!isFile && !isDir) {
        broken.push(page + ": " + target + " (no such file in the repository)");
        continue;
      }
      if (fragment !== undefined && fragment !== "" && isFile && rel.endsWith(".md") && !anchors(readFileSync(full, "utf8")).has(fragment)) {
        broken.push(page + ": " + target + " (no heading #" + fragment + " in " + rel + ")");
      }
    }
  }
  assert.equal(broken, [], broken.join("\n"));
  assert.ok(checked > 5, "links were found (" + checked + ")");
});

links("no page points at notes kept outside the repository", () => {
  const found: string[] = [];
  for (const page of pages()) {
    const lines = readFileSync(join(ROOT, page), "utf8").split("\n");
    lines.forEach((line, i) => {
      if (/\.\.\/shared\/|shared\/reference|\breference §|reference\/(espruino|azure-iot)\.md|\bDESIGN(\.md|'s| §| section)|\bSTYLE\.md/.test(line)) found.push(page + ":" + (i + 1) + ": " + line.trim());
    });
  }
  assert.equal(found, [], found.join("\n"));
});

links.run();
