import { Effect, ParseResult, Schema } from "effect"
import { describe, TrackerError } from "./Sink.js"

/** A request to a tracking server. */
export interface JsonRequest {
  readonly method: "GET" | "POST"
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: unknown
  readonly timeoutMs: number
}

/** A response with its body parsed as JSON when it is JSON. */
export interface JsonResponse {
  readonly status: number
  readonly json: unknown
  readonly text: string
}

/**
 * One HTTP exchange with global fetch, bounded by `timeoutMs` and aborted when the fiber is
 * interrupted; network errors and timeouts become a TrackerError naming `what`.
 */
export const fetchJson = (backend: string, what: string, request: JsonRequest): Effect.Effect<JsonResponse, TrackerError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(request.url, {
        method: request.method,
        headers: { accept: "application/json", "content-type": "application/json", ...request.headers },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(request.timeoutMs)])
      })
      const text = await response.text()
      let json: unknown = undefined
      try {
        json = text === "" ? {} : JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: response.status, json, text }
    },
    catch: (cause) => {
      const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError")
      return new TrackerError({
        backend,
        retriable: true,
        reason: timedOut
          ? `${what}: no answer from ${new URL(request.url).origin} within ${request.timeoutMs / 1000}s`
          : `${what}: cannot reach ${new URL(request.url).origin} (${describe(cause)})`
      })
    }
  })

/** PUT raw bytes (an artifact upload), bounded by `timeoutMs`; the same errors as `fetchJson`. */
export const putBytes = (
  backend: string,
  what: string,
  request: { readonly url: string; readonly headers?: Readonly<Record<string, string>>; readonly body: Uint8Array; readonly timeoutMs: number }
): Effect.Effect<JsonResponse, TrackerError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(request.url, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream", ...request.headers },
        body: request.body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(request.timeoutMs)])
      })
      const text = await response.text()
      return { status: response.status, json: undefined, text }
    },
    catch: (cause) =>
      new TrackerError({ backend, retriable: true, reason: `${what}: cannot reach ${new URL(request.url).origin} (${describe(cause)})` })
  })

/** Fail unless the status is 2xx; the error quotes the start of the body. */
export const ensureOk = (backend: string, what: string) => (response: JsonResponse): Effect.Effect<JsonResponse, TrackerError> =>
  response.status >= 200 && response.status < 300
    ? Effect.succeed(response)
    : Effect.fail(
      new TrackerError({
        backend,
        reason: `${what}: HTTP ${response.status} ${response.text.slice(0, 300)}`,
        retriable: response.status >= 500 || response.status === 429 || response.status === 408
      })
    )

/** Decode a response body with a Schema; a mismatch is a TrackerError. */
export const decodeBody = <A, I>(backend: string, what: string, schema: Schema.Schema<A, I>) => (response: JsonResponse): Effect.Effect<A, TrackerError> =>
  Schema.decodeUnknown(schema)(response.json).pipe(
    Effect.mapError((error) =>
      new TrackerError({ backend, reason: `${what}: unexpected response: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
    )
  )
