import { Resvg } from "@resvg/resvg-js"
import { Effect } from "effect"
import * as vega from "vega"
import { compile, type TopLevelSpec } from "vega-lite"
import { ReportError } from "./ReportError.js"

/** Render a Vega-Lite spec to PNG bytes: Vega-Lite → Vega → SVG (headless view) → PNG via resvg. */
export const renderPng = (name: string, spec: TopLevelSpec, scale = 2): Effect.Effect<Uint8Array, ReportError> =>
  Effect.tryPromise({
    try: async () => {
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
