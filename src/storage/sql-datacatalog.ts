import { and, asc, desc, eq, exists, inArray, type SQL, sql } from "drizzle-orm";
import type { DatasetKey } from "../core/datacatalog/dc-validation.js";
import type { Db, Dialect } from "./dialect.js";
import type { ArtifactScope, DataCatalogStore, StoredArtifact, StoredDataset } from "./datacatalog-store.js";
import { createSqlReservations } from "./sql-reservations.js";

/** Bounds an eviction batch (its keys are bound parameters of the deletes). */
const MAX_EVICT_BATCH = 10_000;

/**
 * The DataCatalog model over either SQL dialect. Datasets are found by their
 * key; everything under a dataset (artifacts, their data, partitions, tags)
 * is keyed by the dataset's UUID and written in one transaction per call.
 */
export function createSqlDataCatalog(d: Dialect): DataCatalogStore {
  const { datasets: ds, artifacts: a, artifactData: ad, partitions: p, tags: tg } = d.schema;
  type DatasetRow = typeof ds.$inferSelect;
  type ArtifactRow = typeof a.$inferSelect;

  const datasetKey = (k: DatasetKey) => and(eq(ds.project, k.project), eq(ds.name, k.name), eq(ds.domain, k.domain), eq(ds.version, k.version));
  const toDataset = (row: DatasetRow): StoredDataset => ({
    project: row.project,
    name: row.name,
    domain: row.domain,
    version: row.version,
    uuid: row.uuid,
    metadata: row.metadata,
    partitionKeys: JSON.parse(row.partitionKeys) as string[],
    createdAt: row.createdAt,
  });

  /** Artifacts with their data, partitions and tags: three queries for any number of artifacts of one dataset. */
  async function withChildren(db: Db, dataset: StoredDataset, rows: readonly ArtifactRow[]): Promise<StoredArtifact[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.artifactId);
    const data = await db
      .select()
      .from(ad)
      .where(and(eq(ad.datasetUuid, dataset.uuid), inArray(ad.artifactId, ids)))
      .orderBy(asc(ad.artifactId), asc(ad.position));
    const parts = await db
      .select()
      .from(p)
      .where(and(eq(p.datasetUuid, dataset.uuid), inArray(p.artifactId, ids)))
      .orderBy(asc(p.artifactId), asc(p.position));
    const tags = await db
      .select()
      .from(tg)
      .where(and(eq(tg.datasetUuid, dataset.uuid), inArray(tg.artifactId, ids)))
      .orderBy(asc(tg.artifactId), asc(tg.createdAt), asc(tg.tagName));
    const group = <R extends { artifactId: string }>(list: R[]) => {
      const by = new Map<string, R[]>();
      for (const r of list) {
        const rows = by.get(r.artifactId);
        if (rows) rows.push(r);
        else by.set(r.artifactId, [r]);
      }
      return by;
    };
    const dataBy = group(data);
    const partsBy = group(parts);
    const tagsBy = group(tags);
    return rows.map((r) => ({
      dataset,
      artifactId: r.artifactId,
      metadata: r.metadata,
      data: (dataBy.get(r.artifactId) ?? []).map((x) => ({ name: x.name, value: x.value })),
      partitions: (partsBy.get(r.artifactId) ?? []).map((x) => ({ key: x.key, value: x.value })),
      tags: (tagsBy.get(r.artifactId) ?? []).map((x) => x.tagName),
      createdAt: r.createdAt,
    }));
  }

  /** The first artifact of a query joining artifacts to datasets, with its children. */
  async function firstArtifact(query: (db: Db) => Promise<{ artifact: ArtifactRow; dataset: DatasetRow }[]>): Promise<StoredArtifact | undefined> {
    return d.run(async (db) => {
      const [found] = await query(db);
      if (!found) return undefined;
      const [artifact] = await withChildren(db, toDataset(found.dataset), [found.artifact]);
      return artifact;
    });
  }

  const dataRows = (datasetUuid: string, artifactId: string, data: readonly { name: string; value: Uint8Array }[]) =>
    data.map((x, position) => ({ datasetUuid, artifactId, name: x.name, position, value: Buffer.from(x.value) }));
  const dataBytes = (data: readonly { value: Uint8Array }[]) => data.reduce((n, x) => n + x.value.length, 0);

  /** Dataset versions `<cacheVersion>-<8>-<8>` (lengths in characters, as both databases count them). */
  const ofCacheVersion = (cacheVersion: string) => {
    const chars = [...cacheVersion].length;
    return and(sql`substr(${ds.version}, 1, ${chars + 1}) = ${`${cacheVersion}-`}`, sql`length(${ds.version}) = ${chars + 18}`);
  };

  return {
    async createDataset(dataset) {
      const rows = await d.run((db) =>
        db
          .insert(ds)
          .values({
            project: dataset.project,
            name: dataset.name,
            domain: dataset.domain,
            version: dataset.version,
            uuid: dataset.uuid,
            metadata: Buffer.from(dataset.metadata),
            partitionKeys: JSON.stringify(dataset.partitionKeys),
            createdAt: dataset.createdAt,
          })
          .onConflictDoNothing()
          .returning({ uuid: ds.uuid }),
      );
      return rows.length > 0;
    },

    async getDataset(key, uuid) {
      const [row] = await d.run((db) =>
        db
          .select()
          .from(ds)
          .where(uuid ? and(datasetKey(key), eq(ds.uuid, uuid)) : datasetKey(key)),
      );
      return row ? toDataset(row) : undefined;
    },

    async listDatasets(filters, page) {
      const order = page.ascending ? asc : desc;
      const rows = await d.run((db) =>
        db
          .select()
          .from(ds)
          .where(and(...filters.map((f) => eq(ds[f.field], f.value))))
          .orderBy(order(ds.createdAt), order(ds.uuid))
          .limit(page.limit)
          .offset(page.offset),
      );
      return rows.map(toDataset);
    },

    async createArtifact(artifact, now) {
      const { datasetUuid, artifactId } = artifact;
      return d.transaction(async (tx) => {
        const inserted = await tx
          .insert(a)
          .values({ datasetUuid, artifactId, metadata: Buffer.from(artifact.metadata), dataBytes: dataBytes(artifact.data), createdAt: now })
          .onConflictDoNothing()
          .returning({ artifactId: a.artifactId });
        if (inserted.length === 0) return false;
        await tx.insert(ad).values(dataRows(datasetUuid, artifactId, artifact.data));
        if (artifact.partitions.length > 0) {
          await tx.insert(p).values(artifact.partitions.map((x, position) => ({ datasetUuid, artifactId, key: x.key, value: x.value, position })));
        }
        return true;
      });
    },

    getArtifact(artifactId, dataset) {
      return firstArtifact((db) =>
        db
          .select({ artifact: a, dataset: ds })
          .from(a)
          .innerJoin(ds, eq(ds.uuid, a.datasetUuid))
          .where(dataset ? and(eq(a.artifactId, artifactId), datasetKey(dataset)) : eq(a.artifactId, artifactId))
          // Without a dataset, the newest of that id (datacatalog's order).
          .orderBy(desc(a.createdAt), desc(a.datasetUuid))
          .limit(1),
      );
    },

    getArtifactByTag(dataset, tagName) {
      return firstArtifact((db) =>
        db
          .select({ artifact: a, dataset: ds })
          .from(ds)
          .innerJoin(tg, and(eq(tg.datasetUuid, ds.uuid), eq(tg.tagName, tagName)))
          .innerJoin(a, and(eq(a.datasetUuid, tg.datasetUuid), eq(a.artifactId, tg.artifactId)))
          .where(datasetKey(dataset)),
      );
    },

    async listArtifacts(dataset, filters, page, maxDataBytes) {
      const order = page.ascending ? asc : desc;
      const conditions: SQL[] = [eq(a.datasetUuid, dataset.uuid)];
      return d.run(async (db) => {
        for (const f of filters) {
          // EXISTS rather than joins: one row per artifact however many filters match it.
          conditions.push(
            f.kind === "tag"
              ? exists(db.select({ one: sql`1` }).from(tg).where(and(eq(tg.datasetUuid, a.datasetUuid), eq(tg.artifactId, a.artifactId), eq(tg.tagName, f.name))))
              : exists(
                  db
                    .select({ one: sql`1` })
                    .from(p)
                    .where(and(eq(p.datasetUuid, a.datasetUuid), eq(p.artifactId, a.artifactId), eq(p.key, f.key), eq(p.value, f.value))),
                ),
          );
        }
        const rows = await db
          .select()
          .from(a)
          .where(and(...conditions))
          .orderBy(order(a.createdAt), order(a.artifactId))
          .limit(page.limit)
          .offset(page.offset);
        let total = 0;
        let kept = 0;
        while (kept < rows.length && (kept === 0 || total + rows[kept]!.dataBytes <= maxDataBytes)) total += rows[kept++]!.dataBytes;
        return withChildren(db, dataset, rows.slice(0, kept));
      });
    },

    async updateArtifact(datasetUuid, artifactId, metadata, data) {
      return d.transaction(async (tx) => {
        const key = and(eq(a.datasetUuid, datasetUuid), eq(a.artifactId, artifactId));
        const updated = await tx
          .update(a)
          .set({ metadata: Buffer.from(metadata), dataBytes: dataBytes(data) })
          .where(key)
          .returning({ artifactId: a.artifactId });
        if (updated.length === 0) return false;
        await tx.delete(ad).where(and(eq(ad.datasetUuid, datasetUuid), eq(ad.artifactId, artifactId)));
        await tx.insert(ad).values(dataRows(datasetUuid, artifactId, data));
        return true;
      });
    },

    async addTag(datasetUuid, tagName, artifactId, now) {
      return d.transaction(async (tx) => {
        const [artifact] = await tx
          .select({ artifactId: a.artifactId })
          .from(a)
          .where(and(eq(a.datasetUuid, datasetUuid), eq(a.artifactId, artifactId)));
        if (!artifact) return "no-artifact" as const;
        const inserted = await tx.insert(tg).values({ datasetUuid, tagName, artifactId, createdAt: now }).onConflictDoNothing().returning({ tagName: tg.tagName });
        return inserted.length > 0 ? ("created" as const) : ("exists" as const);
      });
    },

    async evictArtifacts(scope: ArtifactScope, limit: number) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVICT_BATCH) throw new Error(`eviction batch must be 1..${MAX_EVICT_BATCH}, got ${limit}`);
      const conditions: SQL[] = [eq(ds.project, scope.project), eq(ds.domain, scope.domain)];
      if (scope.datasetName !== undefined) conditions.push(eq(ds.name, scope.datasetName));
      if (scope.cacheVersion !== undefined) conditions.push(ofCacheVersion(scope.cacheVersion)!);
      return d.transaction(async (tx) => {
        const victims = await tx
          .select({ datasetUuid: a.datasetUuid, artifactId: a.artifactId })
          .from(ds)
          .innerJoin(a, eq(a.datasetUuid, ds.uuid))
          .where(and(...conditions))
          .limit(limit);
        const byDataset = new Map<string, string[]>();
        for (const v of victims) {
          const ids = byDataset.get(v.datasetUuid);
          if (ids) ids.push(v.artifactId);
          else byDataset.set(v.datasetUuid, [v.artifactId]);
        }
        for (const [datasetUuid, ids] of byDataset) {
          for (const t of [tg, p, ad, a] as const) await tx.delete(t).where(and(eq(t.datasetUuid, datasetUuid), inArray(t.artifactId, ids)));
        }
        return victims.length;
      });
    },

    ...createSqlReservations(d),
  };
}
