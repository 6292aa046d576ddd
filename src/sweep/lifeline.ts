/** The environment variable that tells a trial process to exit with the worker that started it. */
export const lifelineVar = "LSTM_PIPELINE_LIFELINE"

/** How long a trial whose worker died may take to write its emergency checkpoint before it exits anyway. */
const graceMs = 20_000

/**
 * In a trial process (LSTM_PIPELINE_LIFELINE=stdin): the worker holds the write end of our stdin
 * and never writes; when the worker dies, for any reason including kill -9, the kernel closes it
 * and we see end-of-file. We then stop as on SIGTERM (emergency checkpoint, exit 143), and exit
 * outright if that takes too long. Linux's prctl(PR_SET_PDEATHSIG) is not reachable from Node;
 * a pipe's end is, and it works the same on every platform.
 */
export const watchLifeline = (): void => {
  if (process.env[lifelineVar] !== "stdin") return
  const stdin = process.stdin
  const lost = () => {
    // the worker's log file stays writable, but a terminal or pipe it held may not: never die of EPIPE
    process.stdout.on("error", () => {})
    process.stderr.on("error", () => {})
    process.stderr.write("the sweep worker that started this trial is gone: stopping\n")
    process.kill(process.pid, "SIGTERM")
    setTimeout(() => process.exit(143), graceMs).unref()
  }
  stdin.on("end", lost)
  stdin.on("error", lost)
  stdin.resume()
  // watching the pipe must not keep a finished run alive
  stdin.unref()
}
