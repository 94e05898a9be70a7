// Shell quoting, for every place a string meets a shell: test command templates, printed
// rerun commands, hook scripts, the sandboxes' wrapper scripts.

const SAFE = /^[A-Za-z0-9_\-.,/:=@%+]+$/;

/** `s` as one shell word: as it is when plainly safe, else single-quoted. */
export function shq(s: string): string {
  if (s !== '' && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
