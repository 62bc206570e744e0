// Command-line options for the bench scripts: `--name value` and `--flag`, taken out of argv as read.

/** Reads options from `argv` (mutated: what is read is removed, so the rest are positional). */
export function argReader(argv: string[]): { opt(name: string): string | undefined; flag(name: string): boolean; rest: string[] } {
  return {
    opt(name: string): string | undefined {
      const i = argv.indexOf(name);
      if (i < 0) return undefined;
      const v = argv[i + 1];
      argv.splice(i, 2);
      return v;
    },
    flag(name: string): boolean {
      const i = argv.indexOf(name);
      if (i < 0) return false;
      argv.splice(i, 1);
      return true;
    },
    rest: argv,
  };
}
