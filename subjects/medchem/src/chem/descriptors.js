import { hillFormula, molecularWeight } from './elements.js';
import { atomCounts, neighbours } from './smiles.js';

// Atom contributions loosely after Wildman & Crippen (1999); good to about one log unit,
// which is what a rule-of-five screen needs.
const LOGP_CONTRIBUTIONS = {
  C: { aromatic: 0.1581, aliphatic: 0.1441, polarNeighbour: -0.2035 },
  N: { base: -0.7096, perHydrogen: -0.2 },
  O: { base: -0.2893, perHydrogen: -0.1 },
  S: { base: 0.6482, perHydrogen: 0 },
  P: { base: 0.8612, perHydrogen: 0 },
  F: { base: 0.4202 }, Cl: { base: 0.6895 }, Br: { base: 0.8456 }, I: { base: 0.8857 },
  H: 0.1230,
};

// Topological polar surface area fragments after Ertl et al. (2000), by heavy atom and H count.
const TPSA_FRAGMENTS = {
  N: [12.03, 26.02, 26.02, 27.64],
  O: [17.07, 20.23],
  S: [25.3, 38.8],
  P: [13.59, 23.47],
};

export const FINGERPRINT_BITS = 1024;

function isPolar(symbol) {
  return symbol === 'N' || symbol === 'O' || symbol === 'S';
}

export function estimateLogP(molecule) {
  const adj = neighbours(molecule);
  let logP = 0;
  molecule.atoms.forEach((atom, index) => {
    const table = LOGP_CONTRIBUTIONS[atom.symbol];
    if (atom.symbol === 'C') {
      logP += atom.aromatic ? table.aromatic : table.aliphatic;
      if (adj[index].some((n) => isPolar(molecule.atoms[n.atom].symbol))) logP += table.polarNeighbour;
    } else if (table) {
      logP += table.base + (table.perHydrogen ?? 0) * atom.hydrogens;
    }
    if (atom.symbol === 'C') logP += LOGP_CONTRIBUTIONS.H * atom.hydrogens;
  });
  return Math.round(logP * 100) / 100;
}

export function estimateTpsa(molecule) {
  let tpsa = 0;
  for (const atom of molecule.atoms) {
    const fragments = TPSA_FRAGMENTS[atom.symbol];
    if (!fragments) continue;
    tpsa += fragments[Math.min(atom.hydrogens, fragments.length - 1)];
  }
  return Math.round(tpsa * 100) / 100;
}

export function hydrogenBondCounts(molecule) {
  let donors = 0;
  let acceptors = 0;
  for (const atom of molecule.atoms) {
    if (atom.symbol === 'N' || atom.symbol === 'O') {
      acceptors++;
      if (atom.hydrogens > 0) donors++;
    }
  }
  return { donors, acceptors };
}

export function rotatableBonds(molecule) {
  const adj = neighbours(molecule);
  const heavyDegree = (i) => adj[i].length;
  const inRing = ringBonds(molecule);
  return molecule.bonds.filter((b, i) =>
    b.order === 1 && !inRing.has(i) && heavyDegree(b.a) > 1 && heavyDegree(b.b) > 1).length;
}

// A bond is in a ring when its ends stay connected without it.
function ringBonds(molecule) {
  const adj = neighbours(molecule);
  const result = new Set();
  molecule.bonds.forEach((bond, index) => {
    const seen = new Set([bond.a]);
    const queue = [bond.a];
    while (queue.length > 0) {
      const at = queue.shift();
      for (const n of adj[at]) {
        if ((at === bond.a && n.atom === bond.b) || (at === bond.b && n.atom === bond.a) || seen.has(n.atom)) continue;
        seen.add(n.atom);
        queue.push(n.atom);
      }
    }
    if (seen.has(bond.b)) result.add(index);
  });
  return result;
}

export function describe(molecule) {
  const counts = atomCounts(molecule);
  const { donors, acceptors } = hydrogenBondCounts(molecule);
  return {
    formula: hillFormula(counts),
    molecularWeight: molecularWeight(counts),
    heavyAtoms: molecule.atoms.length,
    logP: estimateLogP(molecule),
    tpsa: estimateTpsa(molecule),
    hBondDonors: donors,
    hBondAcceptors: acceptors,
    rotatableBonds: rotatableBonds(molecule),
  };
}

export function lipinski(descriptors) {
  const violations = [];
  if (descriptors.molecularWeight > 500) violations.push('molecular weight > 500');
  if (descriptors.logP > 5) violations.push('logP > 5');
  if (descriptors.hBondDonors > 5) violations.push('H-bond donors > 5');
  if (descriptors.hBondAcceptors > 10) violations.push('H-bond acceptors > 10');
  // one violation is tolerated by the original rule
  return { passes: violations.length <= 1, violations };
}

// Path fingerprint: every linear path of up to 4 atoms, hashed into a bit vector.
export function fingerprint(molecule, bits = FINGERPRINT_BITS) {
  const words = new Uint32Array(bits / 32);
  const adj = neighbours(molecule);
  const label = (i) => (molecule.atoms[i].aromatic ? molecule.atoms[i].symbol.toLowerCase() : molecule.atoms[i].symbol);
  function setBit(text) {
    let h = 2166136261;
    for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619) >>> 0;
    const bit = h % bits;
    words[bit >>> 5] |= 1 << (bit & 31);
  }
  function walk(path, text) {
    setBit(text);
    if (path.length === 4) return;
    const last = path[path.length - 1];
    for (const n of adj[last]) {
      if (path.includes(n.atom)) continue;
      walk([...path, n.atom], `${text}${n.order}${label(n.atom)}`);
    }
  }
  molecule.atoms.forEach((_, i) => walk([i], label(i)));
  return words;
}

function popcount(x) {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export function tanimoto(a, b) {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += popcount(a[i] & b[i]);
    either += popcount(a[i] | b[i]);
  }
  return either === 0 ? 0 : Math.round((both / either) * 10000) / 10000;
}

export function bitCount(words) {
  return words.reduce((sum, w) => sum + popcount(w), 0);
}
