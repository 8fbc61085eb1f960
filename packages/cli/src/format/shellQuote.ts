/** `value` as one POSIX shell word (bash, zsh): as is when it is plain, else single-quoted. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** `a|b|c` of quoted words for a bash or zsh `case` pattern (`''`, which matches nothing, when empty). */
export function shellCasePattern(words: readonly string[]): string {
  return words.length === 0 ? "''" : words.map(shellQuote).join('|');
}
