import { Effect, type Scope } from "effect"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"

/** A request the loopback server received, with its JSON body parsed. */
export interface Received {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage["headers"]
  readonly body: unknown
}

/** What a handler answers: a JSON reply, or "hang" to never answer. */
export type Reply = { readonly status: number; readonly body: unknown } | "hang"

/** A node:http server on 127.0.0.1 (port 0) that records requests; closed with the scope. */
export const loopbackServer = (
  handle: (request: Received) => Reply
): Effect.Effect<{ readonly url: string; readonly requests: Array<Received> }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: ReturnType<typeof createServer>; url: string; requests: Array<Received> }>((resume) => {
      const requests: Array<Received> = []
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          const url = new URL(req.url ?? "/", "http://127.0.0.1")
          const received: Received = {
            method: req.method ?? "GET",
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: text === "" ? undefined : JSON.parse(text)
          }
          requests.push(received)
          const reply = handle(received)
          if (reply === "hang") return
          res.writeHead(reply.status, { "content-type": "application/json" })
          res.end(JSON.stringify(reply.body))
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}`, requests }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ url, requests }) => ({ url, requests })))

/** A URL on which nothing listens: a port that was just free. */
export const unusedUrl: Effect.Effect<string> = Effect.async((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(`http://127.0.0.1:${port}`)))
  })
})

/** The request body as a record, for assertions. */
export const bodyOf = (request: Received): Record<string, unknown> =>
  typeof request.body === "object" && request.body !== null ? (request.body as Record<string, unknown>) : {}
