import { Effect, Option } from "effect"
import type { RunSummary } from "../rundir/files.js"
import * as RunDirectory from "../rundir/RunDirectory.js"

/** A trial run's summary.json when it says the run succeeded; None when it is missing, unreadable or another status. */
export const successfulSummary = (runDir: string) =>
  Effect.flatMap(RunDirectory.at(runDir), (dir) =>
    Effect.map(
      Effect.orElseSucceed(dir.readSummary, (): Option.Option<RunSummary> => Option.none()),
      Option.filter((s) => s.status === "success")
    ))

/**
 * The epochs a trial run's metrics.jsonl has logged so far, with the per-epoch metric ASHA compares
 * (`val_loss` or `train_loss`; null when the line lacks it), in epoch order, each epoch once.
 * A missing file is no epochs yet; a torn last line is skipped until it is whole.
 */
export const epochValues = (runDir: string, metric: string) =>
  Effect.flatMap(RunDirectory.at(runDir), (dir) =>
    dir.readEpochLosses.pipe(
      Effect.orElseSucceed(() => []),
      Effect.map((losses) => losses.map((l) => ({ epoch: l.epoch, value: metric === "train_loss" ? l.train : l.validation })))
    ))
