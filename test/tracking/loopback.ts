import { Effect, type Scope } from "effect"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"

/** A request the loopback server received, with its JSON body parsed (raw bytes otherwise). */
export interface Received {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage["headers"]
  readonly body: unknown
  readonly raw: Buffer
}

/** What a handler answers: a JSON reply, or "hang" to never answer. */
export type Reply = { readonly status: number; readonly body: unknown } | "hang"

/** A loopback server that can be stopped (connections dropped, port closed) and started again on the same port. */
export interface Loopback {
  readonly url: string
  readonly requests: Array<Received>
  /** Close the port and drop every open connection: clients see "connection refused". */
  readonly stop: Effect.Effect<void>
  /** Listen again on the same port. */
  readonly start: Effect.Effect<void>
  /** From now on, accept requests and never answer them (a stuck server). */
  readonly hang: Effect.Effect<void>
}

const isJson = (req: IncomingMessage): boolean => (req.headers["content-type"] ?? "").includes("json")

const listen = (server: Server, port: number): Effect.Effect<number> =>
  Effect.async<number>((resume) => {
    server.listen(port, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
  })

const close = (server: Server): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (!server.listening) return resume(Effect.void)
    server.closeAllConnections()
    server.close(() => resume(Effect.void))
  })

/** A node:http server on 127.0.0.1 (port 0) that records requests; closed with the scope. */
export const loopbackServer = (handle: (request: Received) => Reply): Effect.Effect<Loopback, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const requests: Array<Received> = []
      const state = { hanging: false }
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const raw = Buffer.concat(chunks)
          const text = raw.toString("utf8")
          const url = new URL(req.url ?? "/", "http://127.0.0.1")
          const received: Received = {
            method: req.method ?? "GET",
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: text === "" || !isJson(req) ? undefined : JSON.parse(text),
            raw
          }
          requests.push(received)
          const reply = state.hanging ? "hang" : handle(received)
          if (reply === "hang") return
          res.writeHead(reply.status, { "content-type": "application/json" })
          res.end(JSON.stringify(reply.body))
        })
      })
      const port = yield* listen(server, 0)
      return { server, port, requests, state }
    }),
    ({ server }) => close(server)
  ).pipe(Effect.map(({ port, requests, server, state }) => ({
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: close(server),
    start: Effect.asVoid(listen(server, port)),
    hang: Effect.sync(() => {
      state.hanging = true
    })
  })))

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
