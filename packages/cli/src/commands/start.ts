import { Command } from 'clipanion';
import { StartModeCommand, type StartVerbs } from './StartModeCommand.js';

/** `kepler start [SERVICE...] [-d [--wait [--timeout DUR]]]`. */
export class StartCommand extends StartModeCommand {
  static override paths = [['start']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Start services (all, or the named ones and what they depend on)',
    details: `
      Loads the config on first use, then starts its services in dependency order; naming services
      also starts what they depend on. Starting a running service does nothing and says so.

      Without flags the command stays in the foreground like \`docker compose up\`: it prints a line per
      service state change and every log line, and exits by itself once every service has reached a
      terminal state (0, or 1 if any service ended \`failed\`). The first Ctrl+C stops the services
      gracefully and waits for them; a second Ctrl+C exits at once with 130.

      \`-d\` returns at once. \`-d --wait\` blocks until the startup cluster is ready (healthy where a
      health check exists, running otherwise, exited 0 for one-shot dependencies) and exits 0, printing
      how many deferred services continue in the background; it exits 1 with the failing service, its
      reason and its last log lines when one fails or \`--timeout\` passes. Ctrl+C while waiting leaves
      the services starting in the background and exits with 130.

      When a file the config's snapshot was baked from (the config, an overlay, a Lua file, an env
      file) changed since, a line on stderr names it: \`kepler up\` applies the edit (with \`-f\` for
      each overlay the snapshot was baked with). When the snapshot was baked with other overlays than
      \`-f\` names, a \`warning:\` line on stderr names them and the \`up\` that applies yours.
    `,
    examples: [
      ['Start everything and follow the logs (Ctrl+C stops)', '$0 start'],
      ['Start in the background', '$0 start -d'],
      ['Start and wait until ready, for CI', '$0 start -d --wait --timeout 2m'],
      ['Start one service (and its dependencies) of another config', '$0 -f ./app/kepler.yaml start -d web'],
    ],
  });

  protected readonly requestType = 'start';
  protected override adhocNames(): readonly string[] {
    return this.services;
  }

  protected readonly verbs: StartVerbs = { progressive: 'Starting', nothing: 'No services to start' };
}
