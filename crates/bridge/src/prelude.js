// The JS side of `context.services.get("mongodb-atlas")`: argument forms of App Services'
// collection methods, gathered into one spec object per call. `call(kind, spec)` is native:
// it checks the spec, builds the operation and returns the promise of its result.
(function (callUser, callSystem) {
  "use strict";
  // One set of classes per privilege, so user code cannot reach the system's native call.
  function classes(call) {
  const ns = (coll) => ({ database: coll.database.name, collection: coll.name });
  const opts = (o) => (o === undefined || o === null ? {} : o);
  // The options each method takes (besides `session`). App Services ignored options it did not
  // know; so does writ, with a warning in the call's log.
  const KNOWN = {
    find: ["projection", "sort", "skip", "limit"],
    findOne: ["projection", "sort"],
    findOneAndUpdate: ["upsert", "sort", "projection", "returnNewDocument", "arrayFilters"],
    findOneAndReplace: ["upsert", "sort", "projection", "returnNewDocument"],
    findOneAndDelete: ["sort", "projection"],
    insertOne: [],
    insertMany: ["ordered"],
    updateOne: ["upsert", "arrayFilters"],
    updateMany: ["upsert", "arrayFilters"],
    replaceOne: ["upsert"],
    deleteOne: [],
    deleteMany: [],
    aggregate: [],
    count: ["skip", "limit"],
    countDocuments: ["skip", "limit"],
    estimatedDocumentCount: [],
    distinct: [],
    bulkWrite: ["ordered"],
  };
  function options(method, o) {
    const given = opts(o);
    if (typeof given !== "object") throw new TypeError(`collection.${method}: options must be an object`);
    const out = {};
    for (const key of Object.keys(given)) {
      if (key === "session" || KNOWN[method].includes(key)) {
        out[key] = given[key];
      } else if (key === "returnDocument" && KNOWN[method].includes("returnNewDocument")) {
        if (given[key] !== "before" && given[key] !== "after") {
          throw new TypeError(`collection.${method}: returnDocument must be "before" or "after"`);
        }
        out.returnNewDocument = given[key] === "after";
      } else {
        console.warn(`collection.${method}: option '${key}' is not one App Services supports; it is ignored`);
      }
    }
    return out;
  }
  // `options` for find/findOne, whose projection is passed on its own.
  function opt(method, o) {
    const out = options(method, o);
    delete out.projection;
    return out;
  }
  // An object of query options rather than a projection, as realm-web and App Services took the
  // second argument of find/findOne: it names only option keys.
  const OPTION_KEYS = ["projection", "sort", "skip", "limit"];
  function isOptions(o) {
    if (o === null || typeof o !== "object" || Array.isArray(o)) return false;
    const keys = Object.keys(o);
    return keys.length > 0 && keys.every((k) => OPTION_KEYS.includes(k));
  }
  // An update with no operator is a replacement, as App Services treated it.
  function isReplacement(update) {
    return update !== null && typeof update === "object" && !Array.isArray(update)
      && !(update instanceof BSON.ObjectId) && Object.keys(update).every((k) => !k.startsWith("$"))
      && Object.keys(update).length > 0;
  }

  class Cursor {
    constructor(kind, spec) {
      this._kind = kind;
      this._spec = spec;
      this._buffer = undefined;
    }
    _mutable(what) {
      if (this._buffer !== undefined) {
        throw new Error(`cursor.${what}() must be called before next() or toArray()`);
      }
      return this;
    }
    sort(sort) { this._mutable("sort")._spec.sort = sort; return this; }
    skip(n) { this._mutable("skip")._spec.skip = n; return this; }
    limit(n) { this._mutable("limit")._spec.limit = n; return this; }
    async _fill() {
      if (this._buffer === undefined) {
        this._buffer = [];
        this._buffer = await call(this._kind, this._spec);
      }
      return this._buffer;
    }
    async toArray() {
      const buffer = await this._fill();
      this._buffer = [];
      return buffer;
    }
    async next() {
      const buffer = await this._fill();
      return buffer.length > 0 ? buffer.shift() : undefined;
    }
    async hasNext() {
      const buffer = await this._fill();
      return buffer.length > 0;
    }
    // Awaiting or returning a cursor gives its documents, as in App Services.
    then(onFulfilled, onRejected) {
      return this.toArray().then(onFulfilled, onRejected);
    }
    async *[Symbol.asyncIterator]() {
      for (const doc of await this.toArray()) yield doc;
    }
  }

  class Collection {
    constructor(database, name) {
      if (typeof name !== "string" || name === "") throw new TypeError("database.collection: name must be a non-empty string");
      this.database = database;
      this.name = name;
    }
    find(query, projection, options) {
      if (options === undefined && isOptions(projection)) [projection, options] = [undefined, projection];
      const o = options ? { ...options } : {};
      return new Cursor("find", { ...opt("find", o), ...ns(this), filter: query, projection: projection ?? o.projection });
    }
    findOne(query, projection, options) {
      if (options === undefined && isOptions(projection)) [projection, options] = [undefined, projection];
      const o = options ? { ...options } : {};
      return call("findOne", { ...opt("findOne", o), ...ns(this), filter: query, projection: projection ?? o.projection });
    }
    findOneAndUpdate(query, update, o) {
      return call("findOneAndUpdate", { ...options("findOneAndUpdate", o), ...ns(this), filter: query, update });
    }
    findOneAndReplace(query, replacement, o) {
      return call("findOneAndReplace", { ...options("findOneAndReplace", o), ...ns(this), filter: query, replacement });
    }
    findOneAndDelete(query, o) {
      return call("findOneAndDelete", { ...options("findOneAndDelete", o), ...ns(this), filter: query });
    }
    insertOne(document, o) { return call("insertOne", { ...options("insertOne", o), ...ns(this), document }); }
    insertMany(documents, o) { return call("insertMany", { ...options("insertMany", o), ...ns(this), documents }); }
    updateOne(query, update, o) {
      if (isReplacement(update)) return this.replaceOne(query, update, o);
      return call("updateOne", { ...options("updateOne", o), ...ns(this), filter: query, update });
    }
    updateMany(query, update, o) { return call("updateMany", { ...options("updateMany", o), ...ns(this), filter: query, update }); }
    async replaceOne(query, replacement, o) {
      const { session, upsert } = options("replaceOne", o);
      const model = { replaceOne: { filter: query ?? {}, replacement, upsert: upsert === true } };
      const r = await call("bulkWrite", { ...(session ? { session } : {}), ...ns(this), operations: [model] });
      const out = { matchedCount: r.matchedCount, modifiedCount: r.modifiedCount };
      if (r.upsertedIds && r.upsertedIds["0"] !== undefined) out.upsertedId = r.upsertedIds["0"];
      return out;
    }
    deleteOne(query, o) { return call("deleteOne", { ...options("deleteOne", o), ...ns(this), filter: query }); }
    deleteMany(query, o) { return call("deleteMany", { ...options("deleteMany", o), ...ns(this), filter: query }); }
    aggregate(pipeline, o) { return new Cursor("aggregate", { ...options("aggregate", o), ...ns(this), pipeline }); }
    count(query, o) { return call("count", { ...options("count", o), ...ns(this), filter: query }); }
    countDocuments(query, o) { return call("countDocuments", { ...options("countDocuments", o), ...ns(this), filter: query }); }
    estimatedDocumentCount(o) { return call("estimatedDocumentCount", { ...options("estimatedDocumentCount", o), ...ns(this) }); }
    distinct(field, query, o) { return call("distinct", { ...options("distinct", o), ...ns(this), field, filter: query }); }
    // App Services documents bulkWrite as resolving to null; the bulk builders' execute() reports counts.
    async bulkWrite(operations, o) { await call("bulkWrite", { ...options("bulkWrite", o), ...ns(this), operations }); return null; }
    initializeOrderedBulkOp() { return new BulkOp(this, true); }
    initializeUnorderedBulkOp() { return new BulkOp(this, false); }
    watch() { throw new Error("collection.watch is not supported in functions (App Services offered change streams to clients only)"); }
  }

  class BulkFind {
    constructor(bulk, filter) {
      this._bulk = bulk;
      this._filter = filter;
      this._upsert = false;
    }
    upsert() { this._upsert = true; return this; }
    _push(op) { this._bulk._ops.push(op); return this._bulk; }
    updateOne(update) { return this._push({ updateOne: { filter: this._filter, update, upsert: this._upsert } }); }
    update(update) { return this._push({ updateMany: { filter: this._filter, update, upsert: this._upsert } }); }
    replaceOne(replacement) { return this._push({ replaceOne: { filter: this._filter, replacement, upsert: this._upsert } }); }
    deleteOne() { return this._push({ deleteOne: { filter: this._filter } }); }
    delete() { return this._push({ deleteMany: { filter: this._filter } }); }
    removeOne() { return this.deleteOne(); }
    remove() { return this.delete(); }
  }

  class BulkOp {
    constructor(collection, ordered) {
      this._collection = collection;
      this._ordered = ordered;
      this._ops = [];
      this._executed = false;
    }
    insert(document) { this._ops.push({ insertOne: { document } }); return this; }
    find(filter) { return new BulkFind(this, filter); }
    execute(options) {
      if (this._executed) throw new Error("bulk operation: execute() was already called");
      if (this._ops.length === 0) throw new Error("bulk operation: there are no operations to execute");
      this._executed = true;
      return call("bulkWrite", { ...opts(options), ...ns(this._collection), operations: this._ops, ordered: this._ordered });
    }
  }

  class Session {
    constructor() {
      // The id is the only enumerable field: `{ session }` options carry just it.
      this.id = new BSON.ObjectId();
      Object.defineProperty(this, "_inTransaction", { value: false, writable: true, enumerable: false });
    }
    inTransaction() { return this._inTransaction; }
    async startTransaction() {
      await call("startTransaction", { session: this });
      this._inTransaction = true;
    }
    async commitTransaction() {
      await call("commitTransaction", { session: this });
      this._inTransaction = false;
    }
    async abortTransaction() {
      await call("abortTransaction", { session: this });
      this._inTransaction = false;
    }
    async withTransaction(fn) {
      await this.startTransaction();
      let result;
      try {
        result = await fn(this);
      } catch (error) {
        if (this._inTransaction) await this.abortTransaction();
        throw error;
      }
      if (this._inTransaction) await this.commitTransaction();
      return result;
    }
    endSession() { return call("endSession", { session: this }); }
  }

  class Database {
    constructor(name) {
      if (typeof name !== "string" || name === "") throw new TypeError("mongodb.db: name must be a non-empty string");
      this.name = name;
    }
    collection(name) { return new Collection(this, name); }
    getCollectionNames() { return call("getCollectionNames", { database: this.name }); }
  }

  class MongoDBService {
    db(name) { return new Database(name); }
    admin() { return { getDBNames: () => call("getDBNames", {}) }; }
    startSession() { return new Session(); }
  }

  // Driver methods App Services' functions never offered: calling one says which, instead of
  // Boa's bare "not a callable function".
  const MISSING = [
    [Collection, "collection", ["createIndex", "createIndexes", "dropIndex", "dropIndexes", "indexes",
      "listIndexes", "indexExists", "indexInformation", "drop", "rename", "findAndModify", "save",
      "insert", "update", "remove", "mapReduce", "explain", "stats", "options", "isCapped",
      "createSearchIndex", "listSearchIndexes"]],
    [Database, "database", ["dropDatabase", "createCollection", "listCollections", "command",
      "runCommand", "stats", "renameCollection", "dropCollection", "aggregate", "watch"]],
    [MongoDBService, "the mongodb-atlas service", ["watch", "connect", "close"]],
    [Cursor, "cursor", ["map", "forEach", "count", "project", "batchSize", "maxTimeMS", "hint",
      "collation", "close", "explain", "filter", "min", "max", "comment", "allowDiskUse"]],
  ];
  for (const [C, what, names] of MISSING) {
    for (const name of names) {
      Object.defineProperty(C.prototype, name, {
        value: function () {
          throw new TypeError(`${what}.${name}() is not part of App Services' MongoDB API for functions, so writ does not offer it`);
        },
        writable: false, enumerable: false, configurable: false,
      });
    }
  }

  // Frozen, like every built-in: a call cannot change what a later call's objects do.
  for (const C of [Cursor, Collection, BulkFind, BulkOp, Session, Database, MongoDBService]) {
    Object.freeze(C.prototype);
    Object.freeze(C);
  }
  return MongoDBService;
  }
  const UserService = classes(callUser);
  const SystemService = classes(callSystem);
  return (system) => (system ? new SystemService() : new UserService());
})
