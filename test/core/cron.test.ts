import { describe, expect, it } from "vitest";
import { cronError, loadLocation, parseCron } from "../../src/core/cron.js";

// What robfig/cron v3 ParseStandard (FlyteAdmin's parser) says, message for message.
describe("cronError (robfig's ParseStandard)", () => {
  it.each([
    "@daily",
    "@every 1h30m",
    "CRON_TZ=Europe/Berlin 0 9 * * MON-FRI",
    "5/15 * * * *",
    "0 0 ? * SUN",
    "0 0 31 2 *",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@midnight",
    "@hourly",
    "TZ=America/New_York 30 2 * * *",
    "TZ=UTC   @hourly  ",
    "CRON_TZ= 0 0 * * *",
    "CRON_TZ=Local 0 0 * * *",
    "CRON_TZ=Etc/UTC 0 0 * * *",
    "0 0 1 jan-MAR Mon",
    " 0  0\t* *\n*  ",
    "+5 * * * *",
    "05 * * * *",
    "*-5 * * * *",
    "1,,2 * * * *",
    ", * * * *",
    "0-59/60 */1 1-31 * 0-6",
  ])("accepts %j", (text) => expect(cronError(text)).toBeUndefined());

  it.each([
    ["* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"],
    ["0 0 * * 7", "end of range (7) above maximum (6): 7"],
    ["0 0 L * *", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
    ["daily", "expected exactly 5 fields, found 1: [daily]"],
    ["@reboot", "unrecognized descriptor: @reboot"],
    ["60 * * * *", "end of range (60) above maximum (59): 60"],
    ["0/15 * * * ? *", "expected exactly 5 fields, found 6: [0/15 * * * ? *]"],
    ["", "empty spec string"],
    ["   ", "expected exactly 5 fields, found 0: []"],
    ["@daily ", "unrecognized descriptor: @daily "],
    [" @daily", "expected exactly 5 fields, found 1: [@daily]"],
    ["0 0 * * 0 L", "expected exactly 5 fields, found 6: [0 0 * * 0 L]"],
    ["0 0 LW * *", 'failed to parse int from LW: strconv.Atoi: parsing "LW": invalid syntax'],
    ["0 0 * * 5#3", 'failed to parse int from 5#3: strconv.Atoi: parsing "5#3": invalid syntax'],
    ["H * * * *", 'failed to parse int from H: strconv.Atoi: parsing "H": invalid syntax'],
    ["0 0 0 * *", "beginning of range (0) below minimum (1): 0"],
    ["0 0 * 0 *", "beginning of range (0) below minimum (1): 0"],
    ["0 24 * * *", "end of range (24) above maximum (23): 24"],
    ["5-3 * * * *", "beginning of range (5) beyond end of range (3): 5-3"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    // Range checks come before the step check, the first hyphenated part before the hyphen count.
    ["5-70/0 * * * *", "end of range (70) above maximum (59): 5-70/0"],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["x-2-3 * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["*/2/3 * * * *", "too many slashes: */2/3"],
    ["x/1/2 * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["*/-1 * * * *", "negative number (-1) not allowed: -1"],
    ["/5 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
    ["1- * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
    ["+ * * * *", 'failed to parse int from +: strconv.Atoi: parsing "+": invalid syntax'],
    ["1_0 * * * *", 'failed to parse int from 1_0: strconv.Atoi: parsing "1_0": invalid syntax'],
    ["99999999999999999999 * * * *", 'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range'],
    ["9223372036854775808x * * * *", 'failed to parse int from 9223372036854775808x: strconv.Atoi: parsing "9223372036854775808x": invalid syntax'],
    ["99999999999999999999x * * * *", 'failed to parse int from 99999999999999999999x: strconv.Atoi: parsing "99999999999999999999x": value out of range'],
    ["9223372036854775807 * * * *", "end of range (9223372036854775807) above maximum (59): 9223372036854775807"],
    ["0 0 1 * \u200b", 'failed to parse int from \u200b: strconv.Atoi: parsing "\\u200b": invalid syntax'],
    ['0 0 1 * "\x01', 'failed to parse int from "\x01: strconv.Atoi: parsing "\\"\\x01": invalid syntax'],
    ["0 0 1 * é", 'failed to parse int from é: strconv.Atoi: parsing "é": invalid syntax'],
    ["0 0 1 * sunday", 'failed to parse int from sunday: strconv.Atoi: parsing "sunday": invalid syntax'],
    ["CRON_TZ=Mars/Base 0 0 * * *", "provided bad location Mars/Base: unknown time zone Mars/Base"],
    ["TZ=america/new_york 0 0 * * *", "provided bad location america/new_york: unknown time zone america/new_york"],
    ["TZ=utc 0 0 * * *", "provided bad location utc: unknown time zone utc"],
    ["TZ=+01:00 0 0 * * *", "provided bad location +01:00: unknown time zone +01:00"],
    ["TZ=../etc/passwd 0 0 * * *", "provided bad location ../etc/passwd: time: invalid location name"],
    ["TZ=/etc/localtime 0 0 * * *", "provided bad location /etc/localtime: time: invalid location name"],
    // A prefix with no space after it crashes robfig; here it is a zone with nothing to run.
    ["CRON_TZ=UTC", "expected exactly 5 fields, found 0: []"],
    ["CRON_TZ=Nowhere", "provided bad location Nowhere: unknown time zone Nowhere"],
    ["TZ=", "expected exactly 5 fields, found 0: []"],
    ["TZ=UTC\t0 0 * * * *", "provided bad location UTC\t0: unknown time zone UTC\t0"],
    ["TZ=UTC 0 0 * *", "expected exactly 5 fields, found 4: [0 0 * *]"],
    ["@every 1x", 'failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"'],
    ["@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'],
    ["@every ", 'failed to parse duration @every : time: invalid duration ""'],
    ["@every 1h 30m", 'failed to parse duration @every 1h 30m: time: unknown unit "h " in duration "1h 30m"'],
    ["@every \t 10s", 'failed to parse duration @every \t 10s: time: invalid duration "\\x09 10s"'],
    ["@every 1µx", 'failed to parse duration @every 1µx: time: unknown unit "\\xc2\\xb5x" in duration "1\\xc2\\xb5x"'],
    ["@every 99999999999h", 'failed to parse duration @every 99999999999h: time: invalid duration "99999999999h"'],
    ["@every\t1h", "unrecognized descriptor: @every\t1h"],
    ["@every", "unrecognized descriptor: @every"],
    ["@foo", "unrecognized descriptor: @foo"],
    ["@DAILY", "unrecognized descriptor: @DAILY"],
  ])("refuses %j: %s", (text, message) => expect(cronError(text)).toBe(message));
});

describe("parseCron", () => {
  const fields = (text: string) => {
    const parsed = parseCron(text);
    if ("error" in parsed || parsed.kind !== "fields") throw new Error(`not fields: ${text}`);
    return parsed;
  };

  it("reads values, steps and names as robfig does", () => {
    const p = fields("5/15 1-4/2 ? JAN,mar-Apr mon-FRI");
    expect(p.fields.map((f) => f.values)).toEqual([[5, 20, 35, 50], [1, 3], Array.from({ length: 31 }, (_, i) => i + 1), [1, 3, 4], [1, 2, 3, 4, 5]]);
    expect(p.fields.map((f) => f.star)).toEqual([false, false, true, false, false]);
    expect(p.zone).toBeUndefined();
    expect(fields(", * * * *").fields[0]!.values).toEqual([]);
    expect(fields("*-5 * * * *").fields[0]).toEqual(fields("* * * * *").fields[0]);
  });

  // Day of month and day of week are ANDed when either has robfig's star bit: a wildcard with no step above 1.
  it.each([
    ["0 0 * * 1", true, false],
    ["0 0 ? * 1", true, false],
    ["0 0 */1 * 1", true, false],
    ["0 0 */2 * 1", false, false],
    ["0 0 1-31 * 1", false, false],
    ["0 0 1,* * 1", true, false],
    ["0 0 1 * *", false, true],
  ])("%s: day-of-month star %s, day-of-week star %s", (text, domStar, dowStar) => {
    const p = fields(text);
    expect([p.fields[2]!.star, p.fields[4]!.star]).toEqual([domStar, dowStar]);
  });

  it("maps descriptors to their five fields and keeps the zone", () => {
    expect(fields("@weekly")).toEqual(fields("0 0 * * 0"));
    expect(fields("@yearly")).toEqual(fields("0 0 1 1 *"));
    expect(fields("CRON_TZ=Asia/Tokyo @daily")).toEqual({ ...fields("0 0 * * *"), zone: "Asia/Tokyo" });
    expect(fields("CRON_TZ= @daily").zone).toBe("UTC");
    expect(fields("CRON_TZ=Etc/UTC @daily").zone).toBe("UTC");
    expect(fields("CRON_TZ=Local @daily").zone).toBeUndefined();
  });

  it.each([
    ["@every 90s", 90],
    ["@every 1h30m", 5400],
    ["@every 1.9s", 1],
    ["@every 500ms", 1],
    ["@every 0", 1],
    ["@every -5m", 1],
    ["@every 2m0.999s", 120],
    ["TZ=UTC @every 1m", 60],
  ])("%s is a constant delay of %i s", (text, seconds) => expect(parseCron(text)).toMatchObject({ kind: "every", seconds }));
});

describe("loadLocation (Go's time.LoadLocation)", () => {
  it.each([
    ["", "UTC"],
    ["UTC", "UTC"],
    ["Etc/UTC", "UTC"],
    ["Local", "Local"],
    ["Europe/Berlin", "Europe/Berlin"],
    ["America/New_York", "America/New_York"],
    ["US/Eastern", "America/New_York"],
    ["Etc/GMT+5", "Etc/GMT+5"],
  ])("accepts %j as %j", (name, zone) => expect(loadLocation(name)).toEqual({ zone }));
  it.each([
    ["Mars/Base", "unknown time zone Mars/Base"],
    ["europe/berlin", "unknown time zone europe/berlin"],
    ["-05:00", "unknown time zone -05:00"],
    ["a/../b", "time: invalid location name"],
    ["\\x", "time: invalid location name"],
  ])("refuses %j", (name, error) => expect(loadLocation(name)).toEqual({ error }));
});
