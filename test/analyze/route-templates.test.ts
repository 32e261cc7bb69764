import { describe, expect, it } from 'vitest';
import { templateFor } from '../../src/services/group-services.js';

// Nested routers (express.Router({ mergeParams: true }) mounted at '/:boardId/cards') declare a
// parameter at each level; both single-parameter patterns fit the last segment equally well.
describe('route templates of nested routers', () => {
  it.each([
    [['/api/boards', '/:boardId', '/:boardId/cards', '/:cardId'], '/api/boards/1/cards/9', '/api/boards/:boardId/cards/:cardId'],
    // declaration order must not matter
    [['/:cardId', '/:boardId/cards', '/:boardId', '/api/boards'], '/api/boards/1/cards/9', '/api/boards/:boardId/cards/:cardId'],
    [['/users', '/:id', '/:id/posts', '/:postId'], '/users/3/posts/4', '/users/:id/posts/:postId'],
    [['/api/boards', '/:boardId', '/:boardId/cards', '/:cardId'], '/api/boards/7', '/api/boards/:boardId'],
  ])('%j: %s -> %s', (patterns, path, tpl) => {
    expect(templateFor(path, patterns)).toBe(tpl);
  });
});
