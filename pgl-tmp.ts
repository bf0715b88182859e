import { PGlite } from "@electric-sql/pglite";
let t = performance.now();
const a = new PGlite(); await a.waitReady; console.log("init", performance.now() - t);
t = performance.now(); const b = new PGlite(); await b.waitReady; console.log("init2", performance.now() - t);
t = performance.now(); const c = await a.clone(); console.log("clone", performance.now() - t);
t = performance.now(); await b.exec("create database x"); console.log("createdb", performance.now() - t);
