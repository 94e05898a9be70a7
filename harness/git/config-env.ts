// Git config through the environment (GIT_CONFIG_COUNT/KEY_n/VALUE_n): it outranks every
// config file, leaves nothing on disk and never appears in argv. Pairs already in the
// environment are kept and the new ones added after them (later wins).

export function withGitConfig(env: NodeJS.ProcessEnv, pairs: [string, string][]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  const have = Number(env.GIT_CONFIG_COUNT);
  const start = Number.isInteger(have) && have > 0 ? have : 0;
  pairs.forEach(([k, v], i) => {
    out[`GIT_CONFIG_KEY_${start + i}`] = k;
    out[`GIT_CONFIG_VALUE_${start + i}`] = v;
  });
  out.GIT_CONFIG_COUNT = String(start + pairs.length);
  return out;
}

/** The same as plain variables, for a session's secrets. */
export function gitConfigVars(pairs: [string, string][]): Record<string, string> {
  return withGitConfig({}, pairs) as Record<string, string>;
}
