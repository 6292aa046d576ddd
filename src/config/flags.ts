import { configLeaves } from "./loadConfig.js"

/** A named flag that sets one config path. */
export interface ValueFlag {
  readonly flag: string
  readonly path: string
  readonly description: string
}

/** Every named value flag and the config path it sets (the README lists these). */
export const valueFlags = [
  { flag: "epochs", path: "train.epochs", description: "Maximum number of epochs." },
  { flag: "batch-size", path: "train.batch_size", description: "Windows per optimizer step." },
  { flag: "learning-rate", path: "train.learning_rate", description: "Initial learning rate." },
  { flag: "seed", path: "seed", description: "Seed for init, shuffling, dropout and synthetic data." },
  { flag: "experiment", path: "experiment", description: "Experiment name (runs/<experiment>/)." },
  { flag: "run-name", path: "run_name", description: "Run directory name." },
  { flag: "gpu", path: "runtime.gpu", description: "GPU index; an error when there is no GPU." },
  { flag: "device", path: "runtime.device", description: "Backend: auto, cpu, wasm, webgpu or tensorflow." },
  { flag: "threads", path: "runtime.threads", description: "Engine worker threads (0 = cores)." },
  { flag: "resume", path: "checkpoint.resume", description: "Continue from last, best, a checkpoint directory or a run directory." },
  { flag: "save-interval", path: "checkpoint.save_interval", description: "Checkpoint every N epochs." },
  { flag: "keep-last", path: "checkpoint.keep_last", description: "Periodic checkpoints kept." },
  { flag: "early-stopping-patience", path: "train.early_stopping.patience", description: "Epochs without improvement before stopping." },
  { flag: "output-dir", path: "output_dir", description: "Where runs and the stage cache live." }
] as const satisfies ReadonlyArray<ValueFlag>

/** Repeatable flags that set a list. */
export const listFlags = [
  { flag: "tags", path: "tags", description: "Tag recorded with the run (repeatable)." },
  { flag: "tracker", path: "tracking.trackers", description: "Tracker backend: console, jsonl, tensorboard, mlflow or wandb (repeatable)." },
  { flag: "allow-config-change", path: "checkpoint.allow_config_change", description: "Config path allowed to differ on --resume (repeatable)." }
] as const satisfies ReadonlyArray<ValueFlag>

/** Switches that set a config path to a fixed value. */
export const switchFlags = [
  { flag: "cpu", path: "runtime.device", value: "cpu", description: "Force the CPU (same as --device cpu)." },
  { flag: "validate-only", path: "checkpoint.validate_only", value: "true", description: "With --resume: evaluate that checkpoint, do not train." },
  { flag: "no-progress", path: "runtime.progress", value: "false", description: "No progress bars (a line per epoch)." }
] as const

/** The named flags as a Markdown table (README section). */
export const flagsReference = (): string =>
  [
    "| flag | config path | what it does |",
    "| --- | --- | --- |",
    ...valueFlags.map((f) => `| \`--${f.flag} <value>\` | \`${f.path}\` | ${f.description} |`),
    ...listFlags.map((f) => `| \`--${f.flag} <value>\` | \`${f.path}\` | ${f.description} |`),
    ...switchFlags.map((f) => `| \`--${f.flag}\` | \`${f.path}\` = \`${f.value}\` | ${f.description} |`),
    "| `--set <path>=<value>` | any | Set any config path; typed by the schema; repeatable; unknown paths are rejected with a suggestion. |",
    "| `--dry-run` | — | Print the resolved config (with provenance) and the plan; write nothing. |",
    "| `--force` | — | Ignore the stage cache: run every stage. |",
    "| `--force-stage <name>` | — | Ignore the cache for one stage (repeatable). |"
  ].join("\n")

/** What `--help` says of a flag: its description, then the value it takes, its default and the config path. */
export const flagHelp = (f: { readonly path: string; readonly description: string }): { readonly type: string; readonly text: string } => {
  const leaf = configLeaves.find((l) => l.path === f.path)
  if (leaf === undefined) return { type: "value", text: `${f.description} [${f.path}]` }
  const shown = leaf.defaultValue._tag === "Some" ? JSON.stringify(leaf.defaultValue.value) : "none"
  return { type: leaf.type.text, text: `${f.description} Takes ${leaf.type.text}; default ${shown}; sets ${f.path}.` }
}
