// Property details (with broker and like count) behind an in-memory cache.
import { db } from './db.js';

const DETAIL_SQL = `
  SELECT p.id, p.title, p.city, p.price, p.bedrooms, p.broker_id,
         b.name AS broker_name, b.phone AS broker_phone,
         (SELECT COUNT(*) FROM likes l WHERE l.property_id = p.id) AS likes
  FROM properties p LEFT JOIN brokers b ON b.id = p.broker_id
  WHERE p.id = ?`;

class PropertyService {
  constructor(database) {
    this.db = database;
    this.cache = new Map();
  }

  async findDetailed(id) {
    if (this.cache.has(id)) return this.cache.get(id);
    const row = await new Promise((resolve, reject) => {
      this.db.get(DETAIL_SQL, [id], (err, r) => (err ? reject(err) : resolve(r)));
    });
    if (!row) return null;
    this.cache.set(id, row);
    return row;
  }

  // Anything that changes a property or its likes must call this.
  invalidate(id) {
    this.cache.delete(id);
  }

  cachedCount() {
    return this.cache.size;
  }
}

export const propertyService = new PropertyService(db);
