import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { flagsReference } from "../../src/config/flags.js"
import { configReference } from "../../src/config/loadConfig.js"

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8")
const section = (name: string): string => {
  const match = readme.match(new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`))
  return match?.[1] ?? ""
}

describe("README", () => {
  it("documents every config path as the schema defines it (regenerate: node src/scripts/readme.mjs)", () => {
    expect(section("config")).toBe(configReference())
  })
  it("documents every flag (regenerate: node src/scripts/readme.mjs)", () => {
    expect(section("flags")).toBe(flagsReference())
  })
  it("shows the two commands", () => {
    expect(readme).toContain("make train")
    expect(readme).toContain("make test")
  })
})
