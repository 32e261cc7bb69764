// Shared in-memory cache (node-cache): link details and the stats block.
const NodeCache = require('node-cache');

const cache = new NodeCache({ stdTTL: 300, checkperiod: 600 });

module.exports = cache;
