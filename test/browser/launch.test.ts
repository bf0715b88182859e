import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MatchableResource } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { LaunchPlanState } from "../../gen/flyteidl/admin/launch_plan_pb.js";
import { ResourceType } from "../../gen/flyteidl/core/identifier_pb.js";
import { LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.js";
import { AdminService } from "../../gen/flyteidl/service/admin_pb.js";
import type { RunningServer } from "../../src/server.js";
import { DOMAIN, PROJECT } from "../fixtures/flyte-builders.js";
import { loadFlytekitPackage, registerPackage } from "../fixtures/flytekit.js";
import { ensureConsoleBuilt } from "./console-build.js";
import { browserServer, type Browser, describeBrowser, launchBrowser, screenshot } from "./harness.js";

const WF = "launch_types.wf.types_wf";

/** One input of the launch form, found by the input's name. */
const field = (page: Page, name: string) => page.locator(".form-field", { has: page.locator(".field-name", { hasText: new RegExp(`^${name}$`) }) });
/** Its control. */
const control = (page: Page, name: string) => field(page, name).locator("input:not([type=file]), textarea, select").first();

/** A control inside a dataclass input's sub-form, found by the field's name. */
const subControl = (page: Page, name: string, sub: string) =>
  field(page, name).locator(".sub-field", { has: page.locator(".field-name", { hasText: new RegExp(`^${sub}$`) }) }).locator("input, textarea, select").first();

const NO_PROBLEMS = { failedRequests: [], consoleErrors: [] };
const SLOW = 120_000;
/** How long a page may take to show what a test waits for, on a loaded machine. */
const WAIT = { timeout: 15_000, interval: 100 };

/** The launch form, the launch plan controls and the settings page change what the server stores. */
describeBrowser("console launch, launch plans and settings", () => {
  let server: RunningServer;
  let browser: Browser;
  let admin: Client<typeof AdminService>;
  const url = (path: string) => `${server.url}/console${path}`;
  const pd = `/projects/${PROJECT}/domains/${DOMAIN}`;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await browserServer();
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: server.url }));
    await admin.registerProject({ project: { id: PROJECT, name: PROJECT } });
    await registerPackage(admin, loadFlytekitPackage("launch_types", PROJECT, DOMAIN, "v1"));
    await registerPackage(admin, loadFlytekitPackage("hello", PROJECT, DOMAIN, "v1"));
    browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("launches a workflow with typed inputs and an uploaded file, and the server stores those inputs", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(url(`${pd}/workflows/${WF}`));
    await page.getByRole("button", { name: "Launch" }).click();
    const dialog = page.getByRole("dialog");
    await control(page, "n").waitFor();

    // Launching with required inputs missing says so per field and sends nothing.
    await dialog.getByRole("button", { name: "Launch" }).click();
    await expect.poll(() => dialog.locator(".field-error").allInnerTexts(), WAIT).toEqual(Array(4).fill("A value is required"));
    await control(page, "n").fill("4.5");
    await dialog.getByRole("button", { name: "Launch" }).click();
    await expect.poll(() => field(page, "n").locator(".field-error").innerText(), WAIT).toBe("Enter a whole number");

    await control(page, "n").fill("42");
    // The file goes through the data proxy; its URI lands in the field.
    await field(page, "doc").locator("input[type=file]").setInputFiles({ name: "doc.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    await expect.poll(() => control(page, "doc").inputValue(), WAIT).toMatch(/doc\.txt$/);
    const docUri = await control(page, "doc").inputValue();
    await control(page, "folder").fill("s3://bucket/folder");
    await control(page, "table").fill("s3://bucket/table.parquet");
    await control(page, "ratio").fill("0.5");
    await control(page, "ok").check();
    await control(page, "color").selectOption("red");
    await control(page, "when").fill("2025-06-07T08:09:10Z");
    await control(page, "wait").fill("2m");
    await control(page, "nested").fill('[{"k": 9}]');
    await control(page, "maybe").selectOption({ label: "int" });
    await field(page, "maybe").locator("input").fill("3");
    // The dataclass's msgpack default is kept until replaced; then each of its fields has a control.
    await field(page, "point").getByRole("button", { name: "Replace the value" }).click();
    await subControl(page, "point", "x").fill("5");
    await subControl(page, "point", "y").fill("0.5");
    await subControl(page, "point", "tags").fill('["t"]');
    await dialog.getByText("Advanced options").click();
    await dialog.getByLabel("Labels").fill("team=ml");
    await dialog.getByLabel("Max parallelism").fill("7");
    await screenshot(page, "launch form filled");
    await dialog.getByRole("button", { name: "Launch" }).click();

    await page.waitForURL(/\/executions\/[a-z0-9]+$/);
    const name = page.url().split("/").pop()!;
    const execution = await admin.getExecution({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(execution.spec?.launchPlan).toMatchObject({ resourceType: ResourceType.LAUNCH_PLAN, name: WF, version: "v1" });
    expect(execution.spec?.labels?.values).toEqual({ team: "ml" });
    expect(execution.spec?.maxParallelism).toBe(7);
    const data = await admin.getExecutionData({ id: { project: PROJECT, domain: DOMAIN, name } });
    const inputs = toJson(LiteralMapSchema, data.fullInputs!) as { literals: Record<string, unknown> };
    expect(inputs.literals).toMatchObject({
      n: { scalar: { primitive: { integer: "42" } } },
      ratio: { scalar: { primitive: { floatValue: 0.5 } } },
      ok: { scalar: { primitive: { boolean: true } } },
      color: { scalar: { primitive: { stringValue: "red" } } },
      when: { scalar: { primitive: { datetime: "2025-06-07T08:09:10Z" } } },
      wait: { scalar: { primitive: { duration: "120s" } } },
      nested: { collection: { literals: [{ map: { literals: { k: { scalar: { primitive: { integer: "9" } } } } } }] } },
      maybe: { scalar: { union: { value: { scalar: { primitive: { integer: "3" } } } } } },
      point: { scalar: { generic: { x: 5, y: 0.5, tags: ["t"] } } },
      doc: { scalar: { blob: { uri: docUri } } },
      folder: { scalar: { blob: { uri: "s3://bucket/folder", metadata: { type: { dimensionality: "MULTIPART" } } } } },
      table: { scalar: { structuredDataset: { uri: "s3://bucket/table.parquet" } } },
      // Untouched defaults are the launch plan's.
      name: { scalar: { primitive: { stringValue: "ada" } } },
    });
    expect(problems).toEqual(NO_PROBLEMS);
    await page.close();
  }, SLOW);

  it("launches a task directly", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(url(`${pd}/tasks/cfx.hello.wf.say_hello`));
    await page.getByRole("button", { name: "Launch" }).click();
    await control(page, "name").fill("grace");
    await page.getByRole("dialog").getByRole("button", { name: "Launch" }).click();
    await page.waitForURL(/\/executions\/[a-z0-9]+$/);
    const name = page.url().split("/").pop()!;
    const execution = await admin.getExecution({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(execution.spec?.launchPlan).toMatchObject({ resourceType: ResourceType.TASK, name: "cfx.hello.wf.say_hello", version: "v1" });
    const data = await admin.getExecutionData({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(toJson(LiteralMapSchema, data.fullInputs!)).toEqual({ literals: { name: { scalar: { primitive: { stringValue: "grace" } } } } });
    expect(problems).toEqual(NO_PROBLEMS);
    await page.close();
  }, SLOW);

  it("relaunches a launch plan's execution with changed inputs and options", async () => {
    const lp = { resourceType: ResourceType.LAUNCH_PLAN, project: PROJECT, domain: DOMAIN, name: "cfx.hello.wf.hello_wf", version: "v1" };
    const stringInput = (value: string) => ({ literals: { name: { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value } } } } } } } });
    const first = await admin.createExecution({ project: PROJECT, domain: DOMAIN, name: "relaunch-lp", spec: { launchPlan: lp, labels: { values: { team: "ml" } } }, inputs: stringInput("ada") });
    const { page, problems } = await browser.newPage();
    await page.goto(url(`${pd}/executions/${first.id!.name}`));
    await page.getByRole("button", { name: "Relaunch with changes…" }).click();
    const dialog = page.getByRole("dialog", { name: "Relaunch with changes" });
    // Prefilled with what the execution ran with.
    await expect.poll(() => control(page, "name").inputValue(), WAIT).toBe("ada");
    await dialog.getByText("Advanced options").click();
    await expect(dialog.getByLabel("Labels").inputValue()).resolves.toBe("team=ml");
    await control(page, "name").fill("lin");
    await dialog.getByLabel("Labels").fill("team=ml\nrun=2");
    await screenshot(page, "relaunch with changes");
    await dialog.getByRole("button", { name: "Launch" }).click();

    await page.waitForURL((u) => /\/executions\/[a-z0-9]+$/.test(u.pathname) && !u.pathname.endsWith("/relaunch-lp"));
    const name = page.url().split("/").pop()!;
    const execution = await admin.getExecution({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(execution.spec?.launchPlan).toMatchObject(lp);
    expect(execution.spec?.labels?.values).toEqual({ team: "ml", run: "2" });
    expect(execution.spec?.metadata?.referenceExecution).toMatchObject({ project: PROJECT, domain: DOMAIN, name: "relaunch-lp" });
    const data = await admin.getExecutionData({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(toJson(LiteralMapSchema, data.fullInputs!)).toEqual({ literals: { name: { scalar: { primitive: { stringValue: "lin" } } } } });
    expect(problems).toEqual(NO_PROBLEMS);
    await page.close();
  }, SLOW);

  it("relaunches a single-task execution with a changed input", async () => {
    const task = { resourceType: ResourceType.TASK, project: PROJECT, domain: DOMAIN, name: "cfx.hello.wf.say_hello", version: "v1" };
    const inputs = { literals: { name: { value: { case: "scalar" as const, value: { value: { case: "primitive" as const, value: { value: { case: "stringValue" as const, value: "grace" } } } } } } } };
    await admin.createExecution({ project: PROJECT, domain: DOMAIN, name: "relaunch-task", spec: { launchPlan: task }, inputs });
    const { page, problems } = await browser.newPage();
    await page.goto(url(`${pd}/executions/relaunch-task`));
    await page.getByRole("button", { name: "Relaunch with changes…" }).click();
    await expect.poll(() => control(page, "name").inputValue(), WAIT).toBe("grace");
    await control(page, "name").fill("hopper");
    await page.getByRole("dialog").getByRole("button", { name: "Launch" }).click();
    await page.waitForURL((u) => /\/executions\/[a-z0-9]+$/.test(u.pathname) && !u.pathname.endsWith("/relaunch-task"));
    const name = page.url().split("/").pop()!;
    const execution = await admin.getExecution({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(execution.spec?.launchPlan).toMatchObject(task);
    expect(execution.spec?.metadata?.referenceExecution?.name).toBe("relaunch-task");
    const data = await admin.getExecutionData({ id: { project: PROJECT, domain: DOMAIN, name } });
    expect(toJson(LiteralMapSchema, data.fullInputs!)).toEqual({ literals: { name: { scalar: { primitive: { stringValue: "hopper" } } } } });
    expect(problems).toEqual(NO_PROBLEMS);
    await page.close();
  }, SLOW);

  it("activates and deactivates a launch plan version", async () => {
    const { page, problems } = await browser.newPage();
    const id = { resourceType: ResourceType.LAUNCH_PLAN, project: PROJECT, domain: DOMAIN, name: "cfx.hello.wf.hello_wf", version: "v1" };
    await page.goto(url(`${pd}/launch_plan/${id.name}/version/v1`));
    await expect.poll(() => page.getByTestId("lp-state").innerText(), WAIT).toBe("inactive");
    await page.getByRole("button", { name: "Activate" }).click();
    await expect.poll(async () => (await admin.getLaunchPlan({ id })).closure?.state, WAIT).toBe(LaunchPlanState.ACTIVE);
    await expect.poll(() => page.getByTestId("lp-state").innerText(), WAIT).toBe("active");
    await screenshot(page, "launch plan active");
    await page.getByRole("button", { name: "Deactivate" }).click();
    await expect.poll(async () => (await admin.getLaunchPlan({ id })).closure?.state, WAIT).toBe(LaunchPlanState.INACTIVE);
    expect(problems).toEqual(NO_PROBLEMS);
    await page.close();
  }, SLOW);

  it("stores, shows and deletes project and domain settings", async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(url(`${pd}/settings`));
    const queues = page.locator('section[data-kind="executionQueueAttributes"]');
    await queues.getByRole("textbox").fill('{"tags": ["gpu"]}');
    await queues.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => queues.getByRole("status").innerText(), WAIT).toBe("Saved");
    const stored = await admin.getProjectDomainAttributes({ project: PROJECT, domain: DOMAIN, resourceType: MatchableResource.EXECUTION_QUEUE });
    expect(stored.attributes?.matchingAttributes?.target).toMatchObject({ case: "executionQueueAttributes", value: { tags: ["gpu"] } });

    // The whole project's level is another row.
    await page.getByLabel("Whole project").check();
    const wec = page.locator('section[data-kind="workflowExecutionConfig"]');
    await wec.getByRole("textbox").fill('{"maxParallelism": 3}');
    await wec.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => wec.getByRole("status").innerText(), WAIT).toBe("Saved");
    const project = await admin.getProjectAttributes({ project: PROJECT, resourceType: MatchableResource.WORKFLOW_EXECUTION_CONFIG });
    expect(project.attributes?.matchingAttributes?.target).toMatchObject({ case: "workflowExecutionConfig", value: { maxParallelism: 3 } });
    await screenshot(page, "settings project level");

    await page.getByLabel(`Domain ${DOMAIN}`).check();
    await queues.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => queues.getByRole("status").innerText(), WAIT).toBe("Deleted");
    const gone = await admin.getProjectDomainAttributes({ project: PROJECT, domain: DOMAIN, resourceType: MatchableResource.EXECUTION_QUEUE }).catch((e: unknown) => e);
    expect(gone instanceof ConnectError && gone.code).toBe(Code.NotFound);
    // "Not set" is a NOT_FOUND answer, which gRPC-Web carries in an HTTP 200: the page says "Not set", nothing fails.
    expect(problems).toEqual(NO_PROBLEMS);
    await page.close();
  }, SLOW);
});
