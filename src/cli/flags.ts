import { Args, Options } from "@effect/cli"
import { Option } from "effect"
import type { Override } from "../config/loadConfig.js"
import { type StageName, stageNames } from "../stages/Stage.js"

/** A named flag that sets one config path. */
interface ValueFlag {
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

const valueOptions = Object.fromEntries(
  valueFlags.map((f) => [f.flag, Options.text(f.flag).pipe(Options.withDescription(`${f.description} [${f.path}]`), Options.optional)])
) as { readonly [K in (typeof valueFlags)[number]["flag"]]: Options.Options<Option.Option<string>> }

const listOptions = Object.fromEntries(
  listFlags.map((f) => [f.flag, Options.text(f.flag).pipe(Options.withDescription(`${f.description} [${f.path}]`), Options.repeated)])
) as { readonly [K in (typeof listFlags)[number]["flag"]]: Options.Options<Array<string>> }

const switchOptions = Object.fromEntries(
  switchFlags.map((f) => [f.flag, Options.boolean(f.flag).pipe(Options.withDescription(`${f.description} [${f.path}=${f.value}]`))])
) as { readonly [K in (typeof switchFlags)[number]["flag"]]: Options.Options<boolean> }

/** The config file argument. */
export const configArg = Args.text({ name: "config.yaml" }).pipe(Args.withDescription("The training config (YAML)."))

/** Options every config-reading command takes: named flags and `--set path=value`. */
export const configOptions = {
  ...valueOptions,
  ...listOptions,
  ...switchOptions,
  set: Options.text("set").pipe(
    Options.withDescription("Set any config path: --set model.hidden_size=128 (repeatable; typed by the schema)."),
    Options.repeated
  )
}

/** What the config options parse to. */
export type ConfigOptions = {
  readonly [K in keyof typeof configOptions]: (typeof configOptions)[K] extends Options.Options<infer A> ? A : never
}

/** Options of commands that run stages. */
export const runOptions = {
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the resolved config and plan; write nothing.")),
  force: Options.boolean("force").pipe(Options.withDescription("Ignore the stage cache: run every stage.")),
  forceStage: Options.choice("force-stage", stageNames).pipe(
    Options.withDescription("Ignore the cache for this stage (repeatable)."),
    Options.repeated
  )
}

/** The overrides the flags give, in order: named flags, then `--set` (later wins). */
export const overridesOf = (options: ConfigOptions): { readonly overrides: ReadonlyArray<Override>; readonly bad: ReadonlyArray<string> } => {
  const overrides: Array<Override> = []
  const bad: Array<string> = []
  for (const f of valueFlags) {
    const value = options[f.flag]
    if (Option.isSome(value)) overrides.push({ path: f.path, raw: value.value, source: `--${f.flag}` })
  }
  for (const f of listFlags) {
    const values = options[f.flag]
    if (values.length > 0) overrides.push({ path: f.path, raw: JSON.stringify(values), source: `--${f.flag}` })
  }
  for (const f of switchFlags) {
    if (options[f.flag]) overrides.push({ path: f.path, raw: f.value, source: `--${f.flag}` })
  }
  for (const assignment of options.set) {
    const at = assignment.indexOf("=")
    if (at <= 0) bad.push(assignment)
    else overrides.push({ path: assignment.slice(0, at).trim(), raw: assignment.slice(at + 1), source: "--set" })
  }
  return { overrides, bad }
}

/** The stage names accepted on the command line. */
export const isStageName = (name: string): name is StageName => (stageNames as ReadonlyArray<string>).includes(name)

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
