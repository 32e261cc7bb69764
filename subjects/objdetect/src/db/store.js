import Database from 'better-sqlite3';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS detections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    image_hash TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    box_count INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS boxes (
    id INTEGER PRIMARY KEY,
    detection_id INTEGER NOT NULL REFERENCES detections(id),
    label TEXT NOT NULL,
    score REAL NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS boxes_by_detection ON boxes(detection_id);`;

// Two earlier runs, so a fresh install has history to browse.
const SEED = [
  { name: 'parking-lot', hash: 'seed-5e1d0c', width: 800, height: 600, bytes: 1440015,
    boxes: [['blue', 0.991, 96, 320, 192, 96], ['red', 0.964, 480, 64, 128, 128]] },
  { name: 'empty-wall', hash: 'seed-a03b77', width: 640, height: 480, bytes: 921615, boxes: [] },
];

// Detection history: one row per analysed image, its boxes in a child table.
export class DetectionStore {
  constructor(file) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    this.insertDetection = this.db.prepare(
      'INSERT INTO detections (name, image_hash, width, height, bytes, box_count) VALUES (@name, @hash, @width, @height, @bytes, @boxCount)');
    this.insertBox = this.db.prepare(
      'INSERT INTO boxes (detection_id, label, score, x, y, w, h) VALUES (@detectionId, @label, @score, @x, @y, @w, @h)');
    this.selectPage = this.db.prepare(
      `SELECT d.id, d.name, d.width, d.height, d.box_count AS boxCount FROM detections d
       WHERE @label IS NULL OR EXISTS (SELECT 1 FROM boxes b WHERE b.detection_id = d.id AND b.label = @label)
       ORDER BY d.id DESC LIMIT @limit`);
    this.selectOne = this.db.prepare(
      `SELECT d.id, d.name, d.image_hash AS hash, d.width, d.height, d.bytes,
              b.id AS boxId, b.label, b.score, b.x, b.y, b.w, b.h
       FROM detections d LEFT JOIN boxes b ON b.detection_id = d.id
       WHERE d.id = ? ORDER BY b.score DESC, b.id`);
    this.updateName = this.db.prepare('UPDATE detections SET name = ? WHERE id = ?');
    this.deleteBoxes = this.db.prepare('DELETE FROM boxes WHERE detection_id = ?');
    this.deleteDetection = this.db.prepare('DELETE FROM detections WHERE id = ?');
    this.countAll = this.db.prepare('SELECT COUNT(*) AS n FROM detections');
    this.create = this.db.transaction((detection, boxes) => {
      const id = Number(this.insertDetection.run({ ...detection, boxCount: boxes.length }).lastInsertRowid);
      for (const box of boxes) this.insertBox.run({ ...box, detectionId: id });
      return id;
    });
    this.remove = this.db.transaction((id) => {
      this.deleteBoxes.run(id);
      return this.deleteDetection.run(id).changes > 0;
    });
    if (this.countAll.get().n === 0) this.#seed();
  }

  #seed() {
    for (const s of SEED) {
      const boxes = s.boxes.map(([label, score, x, y, w, h]) => ({ label, score, x, y, w, h }));
      this.create({ name: s.name, hash: s.hash, width: s.width, height: s.height, bytes: s.bytes }, boxes);
    }
  }

  list({ label = null, limit }) {
    return this.selectPage.all({ label, limit });
  }

  find(id) {
    const rows = this.selectOne.all(id);
    if (rows.length === 0) return null;
    const [first] = rows;
    return {
      id: first.id, name: first.name, hash: first.hash, width: first.width, height: first.height, bytes: first.bytes,
      boxes: rows.filter((r) => r.boxId !== null).map((r) => ({ id: r.boxId, label: r.label, score: r.score, x: r.x, y: r.y, w: r.w, h: r.h })),
    };
  }

  rename(id, name) {
    return this.updateName.run(name, id).changes > 0;
  }

  count() {
    return this.countAll.get().n;
  }

  close() {
    this.db.close();
  }
}
