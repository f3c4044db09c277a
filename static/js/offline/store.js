// The outbox's store: records submitted without a connection, kept in IndexedDB (so a reload or a closed browser
// loses none) until they are sent. Each record names its user; js/offline/outbox.js reads only the signed-in
// user's. A hand-written wrapper: the five calls the outbox needs, each one transaction.
(function () {
  "use strict";
  if (!window.indexedDB) {
    return; // no outbox: the forms submit as they always did
  }
  const DB_NAME = "jj-offline";
  const STORE = "outbox";
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.addEventListener("upgradeneeded", () => {
          const records = request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
          records.createIndex("user", "user");
        });
        request.addEventListener("success", () => resolve(request.result));
        request.addEventListener("error", () => {
          opening = null;
          reject(request.error);
        });
      });
    }
    return opening;
  }

  // Run `work(objectStore)` in one transaction; resolves with its request's result once the transaction is done.
  async function run(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.addEventListener("complete", () => resolve(request.result));
      transaction.addEventListener("error", () => reject(transaction.error));
      transaction.addEventListener("abort", () => reject(transaction.error));
    });
  }

  window.outboxStore = {
    add: (record) => run("readwrite", (records) => records.add(record)),
    put: (record) => run("readwrite", (records) => records.put(record)),
    get: (id) => run("readonly", (records) => records.get(id)),
    remove: (id) => run("readwrite", (records) => records.delete(id)),
    listFor: (user) => run("readonly", (records) => records.index("user").getAll(user)),
  };
})();
