import { shellCasePattern, shellQuote } from '../format/shellQuote.js';
import {
  type CompletionFlag,
  type CompletionModel,
  groupWords,
  SERVICES_AWK,
  serviceCommands,
  topWords,
  valueFlags,
} from './model.js';

/** `'name:description'` entries for `_describe` (a colon in the name is escaped). */
function specs(entries: readonly { name: string; description: string }[]): string {
  return entries.map((e) => shellQuote(`${e.name.replaceAll(':', '\\:')}:${e.description}`)).join(' ');
}

function flagSpecs(flags: readonly CompletionFlag[]): string {
  return specs(flags.flatMap((f) => f.names.map((name) => ({ name, description: f.description }))));
}

/**
 * The zsh completion script: the same completions as bash's, with descriptions. Works sourced (it
 * calls `compdef`) or as `_kepler` in `$fpath`. It reads `words` and `CURRENT` only.
 */
export function zshScript(model: CompletionModel): string {
  const values = valueFlags(model);
  const groups = groupWords(model);
  const flagCases = [
    `    '') reply=(${flagSpecs(model.topFlags)}) ;;`,
    ...model.commands.map((c) => `    ${shellQuote(c.words.join(' '))}) reply=(${flagSpecs(c.flags)}) ;;`),
  ];
  const subCases = groups.map((g) => {
    const subs = model.commands
      .filter((c) => c.words.length === 2 && c.words[0] === g)
      .map((c) => ({ name: c.words[1] as string, description: c.description }));
    return `    ${shellQuote(g)}) reply=(${specs(subs)}) ;;`;
  });
  const argCases = model.commands
    .filter((c) => c.args.length > 0)
    .map((c) => `    ${shellQuote(c.words.join(' '))}) reply=(${c.args.map(shellQuote).join(' ')}) ;;`);
  const configNames = model.configNames.map(shellQuote).join(' ');
  const top = specs(topWords(model).map((w) => ({ name: w.word, description: w.description })));
  return `#compdef kepler
# zsh completion for kepler. Load it in ~/.zshrc (after compinit) with: source <(kepler completion zsh)
# or save it as _kepler in a directory of $fpath.

# The service names of the config: \`kepler config --services\` (with the -f files given), else the
# keys under \`services:\` in the file (a config that does not bake still completes).
_kepler_services() {
  local bin="$1" f file names
  shift
  local -a fargs
  for f in "$@"; do fargs+=(-f "$f"); done
  names=$("$bin" config --services "\${fargs[@]}" 2>/dev/null)
  if [[ -z $names ]]; then
    file="\${1:-.}"
    if [[ -d $file ]]; then
      for f in ${configNames}; do
        if [[ -f $file/$f ]]; then file="$file/$f"; break; fi
      done
    fi
    [[ -f $file ]] && names=$(awk ${shellQuote(SERVICES_AWK)} "$file" 2>/dev/null)
  fi
  print -r -- "$names"
}

# The caller's \`kepler run\` services (what \`kepler rm\` takes).
_kepler_run_services() {
  "$1" ${model.runServicesArgs.map(shellQuote).join(' ')} 2>/dev/null
}

_kepler_flags() {
  case "$1" in
${flagCases.join('\n')}
  esac
}

_kepler_subcommands() {
  reply=()
  case "$1" in
${subCases.join('\n')}
  esac
}

_kepler_args() {
  reply=()
  case "$1" in
${argCases.join('\n')}
  esac
}

_kepler() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local -a files cmd reply names
  local i w skip=0 file_next=0
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if ((skip)); then
      ((file_next)) && files+=("\${w/#\\~/$HOME}")
      skip=0 file_next=0
      continue
    fi
    case "$w" in
      -f|--file) skip=1 file_next=1 ;;
      --file=*) files+=("\${w#--file=}") ;;
      ${shellCasePattern(values.other.concat(values.signal))}) skip=1 ;;
      -*) ;;
      *) cmd+=("$w") ;;
    esac
  done
  local kpath="\${cmd[1]}" used=1
  case "$kpath" in
    ${shellCasePattern(groups)})
      if ((\${#cmd} > 1)); then kpath="$kpath \${cmd[2]}" used=2; fi
      ;;
  esac
  ((\${#cmd} == 0)) && used=0

  case "$prev" in
    ${shellCasePattern(values.file)}) _files; return ;;
    ${shellCasePattern(values.signal)}) compadd -- ${model.signals.map(shellQuote).join(' ')}; return ;;
    ${shellCasePattern(values.other)}) return 1 ;;
  esac
  if [[ $cur == -* ]]; then
    _kepler_flags "$kpath"
    _describe -t flags 'flag' reply
    return
  fi
  if ((used == 0)); then
    reply=(${top})
    _describe -t commands 'command' reply
    return
  fi
  _kepler_subcommands "$kpath"
  if ((\${#reply} > 0)); then
    ((\${#cmd} == 1)) && _describe -t commands 'subcommand' reply
    return
  fi
  if [[ $kpath == help ]]; then
    reply=(${top})
    ((\${#cmd} == 1)) && _describe -t commands 'command' reply
    return
  fi
  case "$kpath" in
    ${shellCasePattern(serviceCommands(model, 'run'))})
      names=(\${(f)"$(_kepler_run_services "\${words[1]}")"})
      compadd -- "\${names[@]}"
      ;;
    ${shellCasePattern(serviceCommands(model, 'config'))})
      names=(\${(f)"$(_kepler_services "\${words[1]}" "\${files[@]}")"})
      compadd -- "\${names[@]}"
      ;;
    *)
      _kepler_args "$kpath"
      ((\${#cmd} == used)) && compadd -- "\${reply[@]}"
      ;;
  esac
}

if [[ "\${funcstack[1]}" == _kepler ]]; then
  _kepler "$@"
else
  compdef _kepler kepler
fi
`;
}
