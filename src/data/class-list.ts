// How an error names a set of class indices: "class 3 has", "classes 3 to 254 have".

/** "class 3 has", "classes 3 to 254 have", "classes 1, 4 to 6 and 9 have". */
export function classList(ks: number[]): string {
  const runs: [number, number][] = [];
  for (const k of ks) {
    const last = runs[runs.length - 1];
    if (last && last[1] === k - 1) last[1] = k;
    else runs.push([k, k]);
  }
  const words = runs.map(([a, b]) => (a === b ? `${a}` : `${a} to ${b}`));
  const shown = words.length > 6 ? [...words.slice(0, 5), "…"] : words;
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
  return ks.length === 1 ? `class ${list} has` : `classes ${list} have`;
}
