import {
  type CompletionFlag,
  type CompletionModel,
  groupWords,
  SERVICES_AWK,
  serviceCommands,
  topWords,
  valueFlags,
} from './model.js';

/** `'text'` for fish: inside single quotes only `\\` and `'` are escaped. */
function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** `printf '%s\t%s\n' name description ...` of the entries (nothing when there are none). */
function printPairs(entries: readonly { name: string; description: string }[]): string {
  if (entries.length === 0) return 'true';
  return `printf '%s\\t%s\\n' ${entries.map((e) => `${fishQuote(e.name)} ${fishQuote(e.description)}`).join(' ')}`;
}

function flagPairs(flags: readonly CompletionFlag[]): string {
  return printPairs(flags.flatMap((f) => f.names.map((name) => ({ name, description: f.description }))));
}

function casePatterns(words: readonly string[]): string {
  return words.length === 0 ? "''" : words.map(fishQuote).join(' ');
}

/**
 * The fish completion script: the same completions as bash's, with descriptions, printed by
 * `__kepler_complete` as `candidate<TAB>description` lines.
 */
export function fishScript(model: CompletionModel): string {
  const values = valueFlags(model);
  const groups = groupWords(model);
  const flagCases = [
    `        case ''\n            ${flagPairs(model.topFlags)}`,
    ...model.commands.map(
      (c) => `        case ${fishQuote(c.words.join(' '))}\n            ${flagPairs(c.flags)}`,
    ),
  ];
  const subCases = groups.map((g) => {
    const subs = model.commands
      .filter((c) => c.words.length === 2 && c.words[0] === g)
      .map((c) => ({ name: c.words[1] as string, description: c.description }));
    return `        case ${fishQuote(g)}\n            ${printPairs(subs)}`;
  });
  const argCases = model.commands
    .filter((c) => c.args.length > 0)
    .map(
      (c) =>
        `        case ${fishQuote(c.words.join(' '))}\n            printf '%s\\n' ${c.args.map(fishQuote).join(' ')}`,
    );
  const top = printPairs(topWords(model).map((w) => ({ name: w.word, description: w.description })));
  return `# fish completion for kepler. Install it with:
#   kepler completion fish > ~/.config/fish/completions/kepler.fish

# The service names of the config: \`kepler config --services\` (with the -f files given), else the
# keys under \`services:\` in the file (a config that does not bake still completes).
function __kepler_services
    set -l bin $argv[1]
    set -e argv[1]
    set -l fargs
    for f in $argv
        set -a fargs -f $f
    end
    set -l names ($bin config --services $fargs 2>/dev/null)
    if test (count $names) -eq 0
        set -l file .
        test (count $argv) -ge 1; and set file $argv[1]
        if test -d $file
            for f in ${model.configNames.map(fishQuote).join(' ')}
                if test -f $file/$f
                    set file $file/$f
                    break
                end
            end
        end
        test -f $file; and set names (awk ${fishQuote(SERVICES_AWK)} $file 2>/dev/null)
    end
    printf '%s\\n' $names
end

# The caller's \`kepler run\` services (what \`kepler rm\` takes).
function __kepler_run_services
    $argv[1] ${model.runServicesArgs.map(fishQuote).join(' ')} 2>/dev/null
end

function __kepler_flags
    switch $argv[1]
${flagCases.join('\n')}
    end
end

function __kepler_subcommands
    switch $argv[1]
${subCases.join('\n')}
    end
end

function __kepler_args
    switch $argv[1]
${argCases.join('\n')}
    end
end

function __kepler_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l bin $tokens[1]
    set -e tokens[1]
    set -l prev ''
    test (count $tokens) -ge 1; and set prev $tokens[-1]
    set -l files
    set -l cmd
    set -l skip 0
    set -l file_next 0
    for w in $tokens
        if test $skip = 1
            test $file_next = 1; and set -a files (string replace -r '^~' $HOME -- $w)
            set skip 0
            set file_next 0
            continue
        end
        switch $w
            case ${casePatterns(values.file)}
                set skip 1
                set file_next 1
            case '--file=*'
                set -a files (string replace -- '--file=' '' $w)
            case ${casePatterns(values.other.concat(values.signal))}
                set skip 1
            case '-*'
            case '*'
                set -a cmd $w
        end
    end
    set -l kpath ''
    set -l used 0
    if test (count $cmd) -ge 1
        set kpath $cmd[1]
        set used 1
        if contains -- $kpath ${groups.map(fishQuote).join(' ')}; and test (count $cmd) -ge 2
            set kpath "$kpath $cmd[2]"
            set used 2
        end
    end

    switch $prev
        case ${casePatterns(values.file)}
            __fish_complete_path $cur
            return
        case ${casePatterns(values.signal)}
            printf '%s\\n' ${model.signals.map(fishQuote).join(' ')}
            return
        case ${casePatterns(values.other)}
            return
    end
    if string match -q -- '-*' $cur
        __kepler_flags $kpath
        return
    end
    if test $used = 0
        ${top}
        return
    end
    set -l subs (__kepler_subcommands $kpath)
    if test (count $subs) -gt 0
        test (count $cmd) = 1; and printf '%s\\n' $subs
        return
    end
    if test $kpath = help
        if test (count $cmd) = 1
            ${top}
        end
        return
    end
    switch $kpath
        case ${casePatterns(serviceCommands(model, 'run'))}
            __kepler_run_services $bin
        case ${casePatterns(serviceCommands(model, 'config'))}
            __kepler_services $bin $files
        case '*'
            test (count $cmd) = $used; and __kepler_args $kpath
    end
end

complete -c kepler -e
complete -c kepler -f -a '(__kepler_complete)'
`;
}
