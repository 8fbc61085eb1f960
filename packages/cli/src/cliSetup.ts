import { type BaseContext, Cli } from 'clipanion';
import { colorEnabled } from './format/color.js';
import { KeplerCli } from './KeplerCli.js';
import { CLI_VERSION } from './version.js';

/**
 * The context a run uses: clipanion's defaults overridden by `context`, with a colour depth that follows
 * the same rule as everything else (NO_COLOR etc.), so help and clipanion's own output agree with ours.
 */
export function cliContext(context: Partial<BaseContext>): {
  readonly ctx: BaseContext;
  readonly colored: boolean;
} {
  const merged: BaseContext = { ...Cli.defaultContext, ...context };
  const colored = colorEnabled(merged.stdout as { isTTY?: boolean }, merged.env);
  return { ctx: { ...merged, colorDepth: colored ? Math.max(merged.colorDepth, 8) : 1 }, colored };
}

/** An empty Kepler Cli (name, label, version); `colored` styles help and usage output. */
export function newKeplerCli(colored: boolean): KeplerCli {
  return new KeplerCli({
    binaryLabel: 'Kepler process orchestrator',
    binaryName: 'kepler',
    binaryVersion: CLI_VERSION,
    enableColors: colored,
  });
}
