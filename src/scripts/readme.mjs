// Regenerates the README's flag and config tables from the schema: node src/scripts/readme.mjs
// (after `npm run build`). test/docs keeps them in sync.
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const docs = execFileSync(process.execPath, [join(root, "dist", "bin.js"), "config", "docs"], { encoding: "utf8" })
const [flags, config] = docs.trim().split("\n\n")
const readmePath = join(root, "README.md")
let readme = readFileSync(readmePath, "utf8")
const fill = (text, name, table) =>
  text.replace(new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`), `$1${table}\n$2`)
readme = fill(fill(readme, "flags", flags), "config", config)
writeFileSync(readmePath, readme)
console.log("README.md: flag and config tables regenerated")
