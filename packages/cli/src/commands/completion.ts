import { Command, Option } from 'clipanion';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from '../completion/index.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { BaseCommand } from './BaseCommand.js';

/** `kepler completion bash|zsh|fish`: prints a shell completion script. */
export class CompletionCommand extends BaseCommand {
  static override paths = [['completion']];

  static override usage = Command.Usage({
    category: 'Setup',
    description: 'Print a shell completion script (bash, zsh or fish)',
    details: `
      Prints a script that completes kepler's commands, their flags, files after \`-f\`, and the service
      names of the config in the current directory (or the one \`-f\` names on the line). Service names
      come from \`kepler config --services\`; when the config does not bake, from the keys under
      \`services:\` in the file. \`kepler rm\` completes your \`kepler run\` services instead (from
      \`kepler rm --list\`).
    `,
    examples: [
      ['bash: add to ~/.bashrc', 'source <($0 completion bash)'],
      ['zsh: add to ~/.zshrc (after compinit)', 'source <($0 completion zsh)'],
      ['fish', '$0 completion fish > ~/.config/fish/completions/kepler.fish'],
    ],
  });

  shell = Option.String({ name: 'shell' });

  override async execute(): Promise<number> {
    if (!(COMPLETION_SHELLS as readonly string[]).includes(this.shell)) {
      throw new UsageError(`completion: "${this.shell}" is not a shell: use ${COMPLETION_SHELLS.join(', ')}`);
    }
    // The full command table, loaded only here: the script lists every command's flags.
    const { buildCli } = await import('../cli.js');
    this.out(completionScript(this.shell as CompletionShell, buildCli().definitions()));
    return EXIT_OK;
  }
}
