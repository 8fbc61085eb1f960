import { parseRequestTarget } from './requestTarget.js';

const pathOf = (raw: string) => parseRequestTarget(raw).path;

test('a path with a leading double slash stays a path: nothing in it is read as a host', () => {
  expect(pathOf('//api/v1/services')).toBe('/api/v1/services');
  expect(pathOf('//x/api/v1/services')).toBe('/x/api/v1/services');
  expect(pathOf('///api//v1///services')).toBe('/api/v1/services');
  // The URL parser takes a backslash for a slash (and `\api` for a host); a path does not.
  expect(pathOf('/\\api/v1/services')).toBe('/\\api/v1/services');
});

test('dot segments are resolved, never above the root; a trailing slash is kept', () => {
  expect(pathOf('/x/../api/v1/services')).toBe('/api/v1/services');
  expect(pathOf('/../../api/./v1/services')).toBe('/api/v1/services');
  expect(pathOf('/x/%2E%2e/api')).toBe('/api');
  expect(pathOf('/api/v1/services/')).toBe('/api/v1/services/');
  expect(pathOf('/api/v1/..')).toBe('/api/');
  expect(pathOf('/')).toBe('/');
  expect(pathOf('//')).toBe('/');
});

test('the query is everything after the first ?, a fragment dropped', () => {
  const t = parseRequestTarget('//api/v1/logs?follow&config=%2Fa%2Fb.yaml&x=//y#frag');
  expect(t.path).toBe('/api/v1/logs');
  expect([...t.query]).toEqual([
    ['follow', ''],
    ['config', '/a/b.yaml'],
    ['x', '//y'],
  ]);
});

test('the absolute form gives its path; a target that is not a path gets one no route has', () => {
  expect(parseRequestTarget('http://h:1//api/v1/status?a=1').path).toBe('/api/v1/status');
  expect(parseRequestTarget('http://h:1//api/v1/status?a=1').query.get('a')).toBe('1');
  expect(pathOf('*')).toBe('*');
  expect(pathOf('api/v1/status')).toBe('*');
  expect(pathOf('')).toBe('*');
});
