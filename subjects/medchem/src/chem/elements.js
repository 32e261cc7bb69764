// Periodic-table data used by the calculators. Standard atomic weights (IUPAC 2021, abridged)
// and the default valences SMILES uses to add implicit hydrogens.
export const ELEMENTS = Object.freeze({
  H: { number: 1, name: 'Hydrogen', weight: 1.008, valences: [1] },
  B: { number: 5, name: 'Boron', weight: 10.81, valences: [3] },
  C: { number: 6, name: 'Carbon', weight: 12.011, valences: [4] },
  N: { number: 7, name: 'Nitrogen', weight: 14.007, valences: [3, 5] },
  O: { number: 8, name: 'Oxygen', weight: 15.999, valences: [2] },
  F: { number: 9, name: 'Fluorine', weight: 18.998, valences: [1] },
  Na: { number: 11, name: 'Sodium', weight: 22.99, valences: [1] },
  Mg: { number: 12, name: 'Magnesium', weight: 24.305, valences: [2] },
  Si: { number: 14, name: 'Silicon', weight: 28.085, valences: [4] },
  P: { number: 15, name: 'Phosphorus', weight: 30.974, valences: [3, 5] },
  S: { number: 16, name: 'Sulfur', weight: 32.06, valences: [2, 4, 6] },
  Cl: { number: 17, name: 'Chlorine', weight: 35.45, valences: [1] },
  K: { number: 19, name: 'Potassium', weight: 39.098, valences: [1] },
  Ca: { number: 20, name: 'Calcium', weight: 40.078, valences: [2] },
  Fe: { number: 26, name: 'Iron', weight: 55.845, valences: [2, 3] },
  Zn: { number: 30, name: 'Zinc', weight: 65.38, valences: [2] },
  Br: { number: 35, name: 'Bromine', weight: 79.904, valences: [1] },
  I: { number: 53, name: 'Iodine', weight: 126.904, valences: [1] },
});

// Hill order: C first, then H, then the rest alphabetically.
export function hillFormula(counts) {
  const symbols = Object.keys(counts).filter((s) => counts[s] > 0);
  const ordered = symbols.includes('C')
    ? ['C', 'H', ...symbols.filter((s) => s !== 'C' && s !== 'H').sort()]
    : symbols.sort();
  return ordered
    .filter((s) => counts[s] > 0)
    .map((s) => (counts[s] === 1 ? s : `${s}${counts[s]}`))
    .join('');
}

export function molecularWeight(counts) {
  let total = 0;
  for (const [symbol, n] of Object.entries(counts)) {
    const element = ELEMENTS[symbol];
    if (!element) throw new Error(`unknown element ${symbol}`);
    total += element.weight * n;
  }
  return Math.round(total * 1000) / 1000;
}

// "C6H12O6", "Ca(OH)2", "CuSO4·5H2O" is not supported on purpose: keep the grammar small.
export function parseFormula(formula) {
  let pos = 0;
  function group() {
    const counts = {};
    while (pos < formula.length && formula[pos] !== ')') {
      let part;
      if (formula[pos] === '(') {
        pos++;
        part = group();
        if (formula[pos] !== ')') throw new Error(`unbalanced parenthesis in ${formula}`);
        pos++;
      } else {
        const m = /^[A-Z][a-z]?/.exec(formula.slice(pos));
        if (!m) throw new Error(`unexpected '${formula[pos]}' at ${pos} in ${formula}`);
        if (!ELEMENTS[m[0]]) throw new Error(`unknown element ${m[0]}`);
        pos += m[0].length;
        part = { [m[0]]: 1 };
      }
      const digits = /^\d+/.exec(formula.slice(pos));
      const times = digits ? Number(digits[0]) : 1;
      if (digits) pos += digits[0].length;
      for (const [s, n] of Object.entries(part)) counts[s] = (counts[s] ?? 0) + n * times;
    }
    return counts;
  }
  const counts = group();
  if (pos !== formula.length || Object.keys(counts).length === 0) throw new Error(`cannot parse formula ${formula}`);
  return counts;
}
