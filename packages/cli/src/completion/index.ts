/** Shell completion scripts for `kepler completion` (see model.ts for what they complete). */
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { type CommandDefinition, type CompletionShell, completionModel } from './model.js';
import { zshScript } from './zsh.js';

export { COMPLETION_SHELLS, type CompletionShell } from './model.js';

/** The completion script for `shell` of the commands `definitions` describe. */
export function completionScript(shell: CompletionShell, definitions: readonly CommandDefinition[]): string {
  const model = completionModel(definitions);
  if (shell === 'bash') return bashScript(model);
  if (shell === 'zsh') return zshScript(model);
  return fishScript(model);
}
