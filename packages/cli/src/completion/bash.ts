import { shellCasePattern, shellQuote } from '../format/shellQuote.js';
import {
  type CompletionModel,
  groupWords,
  SERVICES_AWK,
  serviceCommands,
  topWords,
  valueFlags,
} from './model.js';

/**
 * The bash completion script: `_kepler` completes commands, their flags, service names (from
 * `kepler config --services`, or the `services:` keys of the file), files after `-f` and signals after
 * `-s`. It reads COMP_WORDS and COMP_CWORD only, so a test can call it with any words.
 */
export function bashScript(model: CompletionModel): string {
  const values = valueFlags(model);
  const flagCases = [
    `    '') echo ${shellQuote(model.topFlags.flatMap((f) => f.names).join(' '))} ;;`,
    ...model.commands.map(
      (c) =>
        `    ${shellQuote(c.words.join(' '))}) echo ${shellQuote(c.flags.flatMap((f) => f.names).join(' '))} ;;`,
    ),
  ];
  const groups = groupWords(model);
  const subCases = groups.map((g) => {
    const subs = model.commands
      .filter((c) => c.words.length === 2 && c.words[0] === g)
      .map((c) => c.words[1]);
    return `    ${shellQuote(g)}) echo ${shellQuote(subs.join(' '))} ;;`;
  });
  const configNames = model.configNames.map(shellQuote).join(' ');
  const argCases = model.commands
    .filter((c) => c.args.length > 0)
    .map((c) => `    ${shellQuote(c.words.join(' '))}) echo ${shellQuote(c.args.join(' '))} ;;`);
  const top = topWords(model).map((w) => w.word);
  return `# bash completion for kepler. Load it in ~/.bashrc with: source <(kepler completion bash)

# The service names of the config: \`kepler config --services\` (with the -f files given), else the
# keys under \`services:\` in the file (a config that does not bake still completes).
_kepler_services() {
  local bin="$1" f file names
  shift
  local -a fargs=()
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
  printf '%s\\n' "$names"
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
  case "$1" in
${subCases.join('\n')}
  esac
}

_kepler_args() {
  case "$1" in
${argCases.join('\n')}
  esac
}

_kepler() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev=""
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD - 1]}"
  local -a files=() cmd=()
  local i w skip=0 file_next=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then
      ((file_next)) && files+=("\${w/#\\~/$HOME}")
      skip=0 file_next=0
      continue
    fi
    case "$w" in
      -f | --file) skip=1 file_next=1 ;;
      --file=*) files+=("\${w#--file=}") ;;
      ${shellCasePattern(values.other.concat(values.signal))}) skip=1 ;;
      -*) ;;
      *) cmd+=("$w") ;;
    esac
  done
  local path="\${cmd[0]}" used=1
  case "$path" in
    ${shellCasePattern(groups)})
      if ((\${#cmd[@]} > 1)); then path="$path \${cmd[1]}" used=2; fi
      ;;
  esac
  ((\${#cmd[@]} == 0)) && used=0

  COMPREPLY=()
  case "$prev" in
    ${shellCasePattern(values.file)})
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
      ;;
    ${shellCasePattern(values.signal)})
      mapfile -t COMPREPLY < <(compgen -W ${shellQuote(model.signals.join(' '))} -- "$cur")
      return 0
      ;;
    ${shellCasePattern(values.other)}) return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_kepler_flags "$path")" -- "$cur")
    return 0
  fi
  local words=""
  if ((used == 0)); then
    words=${shellQuote(top.join(' '))}
  elif [[ $path == "\${cmd[0]}" ]] && [[ -n $(_kepler_subcommands "$path") ]]; then
    ((\${#cmd[@]} == 1)) && words="$(_kepler_subcommands "$path")"
  elif [[ $path == help ]]; then
    ((\${#cmd[@]} == 1)) && words=${shellQuote(top.join(' '))}
  else
    case "$path" in
      ${shellCasePattern(serviceCommands(model, 'run'))}) words="$(_kepler_run_services "\${COMP_WORDS[0]}")" ;;
      ${shellCasePattern(serviceCommands(model, 'config'))}) words="$(_kepler_services "\${COMP_WORDS[0]}" "\${files[@]}")" ;;
      *) ((\${#cmd[@]} == used)) && words="$(_kepler_args "$path")" ;;
    esac
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  return 0
}

complete -F _kepler kepler
`;
}
