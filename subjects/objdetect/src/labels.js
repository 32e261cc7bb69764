// The classes the detector knows, with the colour prototype its class layer starts from.
// A toy "coloured objects" dataset: each class is a saturated colour.
export const LABELS = Object.freeze([
  { id: 0, name: 'red', rgb: [1, 0, 0] },
  { id: 1, name: 'green', rgb: [0, 1, 0] },
  { id: 2, name: 'blue', rgb: [0, 0, 1] },
  { id: 3, name: 'yellow', rgb: [1, 1, 0] },
  { id: 4, name: 'cyan', rgb: [0, 1, 1] },
  { id: 5, name: 'magenta', rgb: [1, 0, 1] },
]);
