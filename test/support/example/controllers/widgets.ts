import { Router } from 'express';
import { NotFoundError } from '../../../../lib/keel/http/errors';
import { jsonResponse, responseRef } from '../../../../lib/keel/http/openapi';
import { handle, operation } from '../../../../lib/keel/http/operation';
import type { RouteDeps } from '../../../../lib/keel/http';
import { Widget } from '../models/widget';
import { WidgetChanges, WidgetInput, WidgetList, WidgetListQuery, WidgetParams, Widget as WidgetSchema } from '../schemas/widget';
import { widgetBody, widgetListBody } from '../views/widget';

const tags = ['widgets'];

export const listWidgets = operation({
  method: 'get',
  path: '/',
  operationId: 'listWidgets',
  summary: 'List widgets, newest first',
  tags,
  query: WidgetListQuery,
  responses: { 200: jsonResponse('The widgets.', WidgetList) },
});

export const createWidget = operation({
  method: 'post',
  path: '/',
  operationId: 'createWidget',
  summary: 'Create a widget',
  tags,
  body: WidgetInput,
  responses: { 201: jsonResponse('The widget, created.', WidgetSchema) },
});

export const getWidget = operation({
  method: 'get',
  path: '/{id}',
  operationId: 'getWidget',
  summary: 'One widget',
  tags,
  params: WidgetParams,
  responses: { 200: jsonResponse('The widget.', WidgetSchema), 404: responseRef('NotFound') },
});

export const updateWidget = operation({
  method: 'patch',
  path: '/{id}',
  operationId: 'updateWidget',
  summary: 'Change a widget',
  tags,
  params: WidgetParams,
  body: WidgetChanges,
  responses: { 200: jsonResponse('The widget, changed.', WidgetSchema), 404: responseRef('NotFound') },
});

export const WIDGET_OPERATIONS = [listWidgets, createWidget, getWidget, updateWidget];

export function widgetsController({ unitOfWork }: RouteDeps): Router {
  const router = Router();

  // Reads that need no settings: no transaction.
  handle(router, listWidgets, async (req, res) => {
    const widgets = await Widget.findAll({ order: [['id', 'DESC']], limit: req.query.limit });
    res.json(widgetListBody(widgets));
  });

  handle(router, getWidget, async (req, res) => {
    const widget = await Widget.findByPk(req.params.id);
    if (!widget) throw new NotFoundError();
    res.json(widgetBody(widget));
  });

  // Writes: one transaction carrying the request's settings (app/request-settings.ts).
  handle(router, createWidget, async (req, res) => {
    const widget = await unitOfWork(req, () => Widget.create(req.body));
    res.status(201).json(widgetBody(widget));
  });

  handle(router, updateWidget, async (req, res) => {
    const widget = await unitOfWork(req, async () => (await Widget.findByPk(req.params.id))?.update(req.body));
    if (!widget) throw new NotFoundError();
    res.json(widgetBody(widget));
  });

  return router;
}
