// The workflows routes (`email.md`) through the SDK: create, read, list, pause, runs, delete.

import assert from "node:assert/strict";
import { test } from "node:test";

import { LoopError } from "../dist/index.js";
import { client, unique } from "./helpers.mjs";

test("a workflow is created, read, listed, paused, has runs listed, and is deleted", async () => {
  const loop = client();
  const template = await loop.emailTemplates.create({ name: unique("Welcome"), subject: "Hi", html: "<p>Hi</p>" });
  const workflow = await loop.workflows.create({
    name: unique("Welcome series"),
    trigger: { eventName: unique("signup") },
    steps: [
      { type: "wait", seconds: 3600 },
      { type: "email", templateId: template.id },
    ],
  });
  assert.match(workflow.id, /^wf_/);
  assert.equal(workflow.status, "active");

  assert.equal((await loop.workflows.retrieve(workflow.id)).name, workflow.name);
  const listed = await loop.workflows.list({ limit: 100 }).toArray();
  assert.ok(listed.some((w) => w.id === workflow.id));
  assert.equal((await loop.workflows.update(workflow.id, { status: "paused" })).status, "paused");
  assert.deepEqual(await loop.workflows.listRuns(workflow.id).toArray(), []);

  await loop.workflows.del(workflow.id);
  const error = await loop.workflows.retrieve(workflow.id).catch((e) => e);
  assert.ok(error instanceof LoopError);
  assert.equal(error.status, 404);
});
