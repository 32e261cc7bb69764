import { ELEMENTS } from './elements.js';

const ORGANIC = ['Cl', 'Br', 'B', 'C', 'N', 'O', 'P', 'S', 'F', 'I'];
const AROMATIC = ['b', 'c', 'n', 'o', 'p', 's'];
const BOND_ORDERS = { '-': 1, '=': 2, '#': 3, ':': 1.5 };

// Parses the SMILES subset people type into calculators: organic atoms, bracket atoms with
// hydrogen counts and charges, branches, ring closures and explicit bonds.
// Returns { atoms: [{symbol, aromatic, hydrogens, charge}], bonds: [{a, b, order}] }.
export function parseSmiles(smiles) {
  if (typeof smiles !== 'string' || smiles.length === 0 || smiles.length > 500) {
    throw new Error('smiles must be a non-empty string of at most 500 characters');
  }
  const atoms = [];
  const bonds = [];
  const branchStack = [];
  const rings = new Map();
  let previous = -1;
  let pendingBond = null;
  let i = 0;

  function addAtom(atom) {
    const index = atoms.push(atom) - 1;
    if (previous >= 0) {
      const aromaticPair = atoms[previous].aromatic && atom.aromatic;
      bonds.push({ a: previous, b: index, order: pendingBond ?? (aromaticPair ? 1.5 : 1) });
    }
    pendingBond = null;
    previous = index;
  }

  while (i < smiles.length) {
    const ch = smiles[i];
    if (ch === '(') {
      branchStack.push(previous);
      i++;
    } else if (ch === ')') {
      if (branchStack.length === 0) throw new Error(`unbalanced ')' at ${i}`);
      previous = branchStack.pop();
      i++;
    } else if (ch in BOND_ORDERS) {
      pendingBond = BOND_ORDERS[ch];
      i++;
    } else if (/[0-9%]/.test(ch)) {
      const label = ch === '%' ? smiles.slice(i + 1, i + 3) : ch;
      i += ch === '%' ? 3 : 1;
      if (previous < 0) throw new Error(`ring closure ${label} before any atom`);
      if (rings.has(label)) {
        const open = rings.get(label);
        rings.delete(label);
        const aromaticPair = atoms[open.atom].aromatic && atoms[previous].aromatic;
        bonds.push({ a: open.atom, b: previous, order: pendingBond ?? open.order ?? (aromaticPair ? 1.5 : 1) });
        pendingBond = null;
      } else {
        rings.set(label, { atom: previous, order: pendingBond });
        pendingBond = null;
      }
    } else if (ch === '[') {
      const end = smiles.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed '[' at ${i}`);
      addAtom(parseBracketAtom(smiles.slice(i + 1, end)));
      i = end + 1;
    } else {
      const organic = ORGANIC.find((s) => smiles.startsWith(s, i));
      const aromatic = AROMATIC.find((s) => smiles.startsWith(s, i));
      if (organic) {
        addAtom({ symbol: organic, aromatic: false, hydrogens: null, charge: 0 });
        i += organic.length;
      } else if (aromatic) {
        addAtom({ symbol: aromatic.toUpperCase(), aromatic: true, hydrogens: null, charge: 0 });
        i += 1;
      } else {
        throw new Error(`unexpected '${ch}' at ${i}`);
      }
    }
  }
  if (branchStack.length > 0) throw new Error('unbalanced (');
  if (rings.size > 0) throw new Error(`unclosed ring ${[...rings.keys()].join(',')}`);
  addImplicitHydrogens(atoms, bonds);
  return { atoms, bonds };
}

function parseBracketAtom(text) {
  const m = /^(\d*)([A-Z][a-z]?|[bcnops])(H\d*)?([+-]\d*|\++|-+)?$/.exec(text);
  if (!m) throw new Error(`cannot read bracket atom [${text}]`);
  const aromatic = /^[a-z]/.test(m[2]);
  const symbol = aromatic ? m[2].toUpperCase() : m[2];
  if (!ELEMENTS[symbol]) throw new Error(`unknown element ${symbol}`);
  const hydrogens = m[3] ? (m[3].length > 1 ? Number(m[3].slice(1)) : 1) : 0;
  let charge = 0;
  if (m[4]) {
    const sign = m[4][0] === '+' ? 1 : -1;
    charge = /\d/.test(m[4]) ? sign * Number(m[4].slice(1)) : sign * m[4].length;
  }
  return { symbol, aromatic, hydrogens, charge };
}

// Organic-subset atoms get hydrogens up to their lowest default valence that fits.
function addImplicitHydrogens(atoms, bonds) {
  const used = new Array(atoms.length).fill(0);
  for (const bond of bonds) {
    // an aromatic bond counts as single here; the shared pi electron is added per atom below
    const order = bond.order === 1.5 ? 1 : bond.order;
    used[bond.a] += order;
    used[bond.b] += order;
  }
  atoms.forEach((atom, index) => {
    if (atom.hydrogens !== null) return;
    const bondSum = atom.aromatic ? used[index] + 1 : used[index];
    const valence = ELEMENTS[atom.symbol].valences.find((v) => v >= bondSum) ?? bondSum;
    atom.hydrogens = Math.max(0, valence - bondSum);
  });
}

export function atomCounts(molecule) {
  const counts = {};
  for (const atom of molecule.atoms) {
    counts[atom.symbol] = (counts[atom.symbol] ?? 0) + 1;
    if (atom.hydrogens > 0) counts.H = (counts.H ?? 0) + atom.hydrogens;
  }
  return counts;
}

export function neighbours(molecule) {
  const list = molecule.atoms.map(() => []);
  for (const bond of molecule.bonds) {
    list[bond.a].push({ atom: bond.b, order: bond.order });
    list[bond.b].push({ atom: bond.a, order: bond.order });
  }
  return list;
}
