import { Effect } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { ReportError } from "./ReportError.js"

// the renderers load on first use, so commands that draw nothing (`--help`, `devices`) stay fast
const renderers = async () => {
  const [{ Resvg }, vega, { compile }] = await Promise.all([import("@resvg/resvg-js"), import("vega"), import("vega-lite")])
  return { Resvg, vega, compile }
}

/** Render a Vega-Lite spec to PNG bytes: Vega-Lite → Vega → SVG (headless view) → PNG via resvg. */
export const renderPng = (name: string, spec: TopLevelSpec, scale = 2): Effect.Effect<Uint8Array, ReportError> =>
  Effect.tryPromise({
    try: async () => {
      const { Resvg, vega, compile } = await renderers()
      const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" })
      try {
        const svg = await view.toSVG()
        const resvg = new Resvg(svg, {
          fitTo: { mode: "zoom", value: scale },
          background: "white",
          font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" }
        })
        return new Uint8Array(resvg.render().asPng())
      } finally {
        view.finalize()
      }
    },
    catch: (cause) => new ReportError({ path: name, reason: `cannot render: ${cause instanceof Error ? cause.message : String(cause)}` })
  })
