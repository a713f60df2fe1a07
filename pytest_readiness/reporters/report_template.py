# templates/report.html.j2 compiled by jinja2 (html.compiled_template()); do not edit:
# READINESS_UPDATE_GOLDEN=1 pytest tests/unit/test_report_html_rows.py makes it again.
# ruff: noqa
# fmt: off
# mypy: ignore-errors
JINJA2_VERSION = '3.1.6'
SOURCE_SHA256 = '4d50ee58c1dbb15dab36907740e706c47c3a23867212d5e1bd56303ed9853f23'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'report.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_script_hash = resolve('script_hash')
    l_0_run = resolve('run')
    l_0_v = resolve('v')
    l_0_css = resolve('css')
    l_0_decision_class = resolve('decision_class')
    l_0_counts = resolve('counts')
    l_0_blockers = resolve('blockers')
    l_0_not_met = resolve('not_met')
    l_0_blockers_more = resolve('blockers_more')
    l_0_diff = resolve('diff')
    l_0_diff_lists = resolve('diff_lists')
    l_0_sections = resolve('sections')
    l_0_severities = resolve('severities')
    l_0_totals = resolve('totals')
    l_0_item_count = resolve('item_count')
    l_0_outcomes = resolve('outcomes')
    l_0_page_rows = resolve('page_rows')
    l_0_item_rows = resolve('item_rows')
    l_0_run_facts = resolve('run_facts')
    l_0_script = resolve('script')
    try:
        t_1 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_2 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_3 = environment.filters['safe']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'safe' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; script-src \''
    yield escape(environment.finalize((undefined(name='script_hash') if l_0_script_hash is missing else l_0_script_hash)))
    yield '\'; img-src data:; base-uri \'none\'; form-action \'none\'">\n<meta name="generator" content="pytest-readiness '
    yield escape(environment.finalize((environment.getattr((undefined(name='run') if l_0_run is missing else l_0_run), 'plugin_version') or '')))
    yield '">\n<title>'
    yield escape(environment.finalize(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'decision')))
    yield ' '
    yield escape(environment.finalize(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'score')))
    yield '/100 - readiness '
    yield escape(environment.finalize(environment.getattr((undefined(name='run') if l_0_run is missing else l_0_run), 'profile')))
    yield '</title>\n<style>'
    yield escape(environment.finalize(t_3((undefined(name='css') if l_0_css is missing else l_0_css))))
    yield '</style>\n<noscript><style>#items-table tbody tr { display: table-row !important; }</style></noscript>\n</head>\n<body>\n<header class="banner d-'
    yield escape(environment.finalize((undefined(name='decision_class') if l_0_decision_class is missing else l_0_decision_class)))
    yield '" id="decision">\n<h1><span class="decision">'
    yield escape(environment.finalize(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'decision')))
    yield '</span><span class="score">score '
    yield escape(environment.finalize(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'score')))
    yield '/100</span></h1>\n<p>profile <b>'
    yield escape(environment.finalize(environment.getattr((undefined(name='run') if l_0_run is missing else l_0_run), 'profile')))
    yield '</b> &middot; scope: '
    yield escape(environment.finalize(context.call(environment.getattr(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'scope'), 'describe'))))
    yield '</p>\n<p class="counts">'
    l_1_loop = missing
    for (l_1_name, l_1_n), l_1_loop in LoopContext((undefined(name='counts') if l_0_counts is missing else l_0_counts), undefined):
        _loop_vars = {}
        pass
        yield escape(environment.finalize(l_1_n))
        yield ' '
        yield escape(environment.finalize(l_1_name))
        if (not environment.getattr(l_1_loop, 'last')):
            pass
            yield ' &middot; '
    l_1_loop = l_1_name = l_1_n = missing
    yield '</p>\n'
    if environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'reasons'):
        pass
        yield '<ul class="reasons">'
        for l_1_reason in environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'reasons'):
            _loop_vars = {}
            pass
            yield '<li>'
            yield escape(environment.finalize(l_1_reason))
            yield '</li>'
        l_1_reason = missing
        yield '</ul>\n'
    yield '</header>\n<main>\n<section id="blockers">\n'
    if (undefined(name='blockers') if l_0_blockers is missing else l_0_blockers):
        pass
        yield '<h2>Not met ('
        yield escape(environment.finalize((undefined(name='not_met') if l_0_not_met is missing else l_0_not_met)))
        yield '), most severe first</h2>\n<table id="blockers-table">\n<thead><tr><th>severity</th><th>outcome</th><th>id</th><th>title</th><th>reason, evidence and remediation</th></tr></thead>\n<tbody>\n'
        for l_1_part in (undefined(name='blockers') if l_0_blockers is missing else l_0_blockers):
            _loop_vars = {}
            pass
            yield escape(environment.finalize(l_1_part))
        l_1_part = missing
        yield '</tbody>\n</table>\n'
        if (undefined(name='blockers_more') if l_0_blockers_more is missing else l_0_blockers_more):
            pass
            yield '<p class="more-note">'
            yield escape(environment.finalize((undefined(name='blockers_more') if l_0_blockers_more is missing else l_0_blockers_more)))
            yield ' more not-met '
            yield escape(environment.finalize(('item is' if ((undefined(name='blockers_more') if l_0_blockers_more is missing else l_0_blockers_more) == 1) else 'items are')))
            yield ' in the items table: choose &ldquo;not met&rdquo; in its outcome filter.</p>'
    else:
        pass
        yield '<h2>Not met: none</h2>\n<p>Every applicable item is met.</p>\n'
    yield '</section>\n'
    if (undefined(name='diff') if l_0_diff is missing else l_0_diff):
        pass
        yield '<section id="baseline">\n<h2>Changes since the baseline</h2>\n<p>Compared with <code>'
        yield escape(environment.finalize(environment.getattr((undefined(name='diff') if l_0_diff is missing else l_0_diff), 'source')))
        yield '</code>: previously <b>'
        yield escape(environment.finalize(environment.getattr((undefined(name='diff') if l_0_diff is missing else l_0_diff), 'previous_decision')))
        yield '</b>, score '
        yield escape(environment.finalize(environment.getattr((undefined(name='diff') if l_0_diff is missing else l_0_diff), 'previous_score')))
        yield '/100; now '
        yield escape(environment.finalize(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'score')))
        yield '/100 (<b>'
        yield escape(environment.finalize(('%+d' % environment.getattr((undefined(name='diff') if l_0_diff is missing else l_0_diff), 'score_change'))))
        yield '</b>).</p>\n<table class="diff">\n<tbody>\n'
        for (l_1_label, l_1_ids) in (undefined(name='diff_lists') if l_0_diff_lists is missing else l_0_diff_lists):
            _loop_vars = {}
            pass
            yield '<tr><th scope="row">'
            yield escape(environment.finalize(l_1_label))
            yield ' ('
            yield escape(environment.finalize(t_2(l_1_ids)))
            yield ')</th><td>'
            if l_1_ids:
                pass
                yield '<ul class="ids">'
                for l_2_id in l_1_ids:
                    _loop_vars = {}
                    pass
                    yield '<li class="id">'
                    yield escape(environment.finalize(l_2_id))
                    yield '</li>'
                l_2_id = missing
                yield '</ul>'
            else:
                pass
                yield 'none'
            yield '</td></tr>\n'
        l_1_label = l_1_ids = missing
        yield '</tbody>\n</table>\n</section>\n'
    yield '<section id="completion">\n<h2>Completion by section</h2>\n<table class="bars">\n<tbody>\n'
    for l_1_s in (undefined(name='sections') if l_0_sections is missing else l_0_sections):
        _loop_vars = {}
        pass
        yield '<tr><th scope="row">'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'name')))
        yield '</th><td><div class="bar"><span class="'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'level')))
        yield '" style="width:'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'width')))
        yield '%"></span></div></td><td>'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'percent')))
        yield '</td></tr>\n'
    l_1_s = missing
    yield '</tbody>\n</table>\n</section>\n<section id="matrix">\n<h2>Section &times; severity</h2>\n<table>\n<thead><tr><th>section</th>'
    for l_1_sev in (undefined(name='severities') if l_0_severities is missing else l_0_severities):
        _loop_vars = {}
        pass
        yield '<th class="num">'
        yield escape(environment.finalize(l_1_sev))
        yield '</th>'
    l_1_sev = missing
    yield '<th class="num">completion</th></tr></thead>\n<tbody>\n'
    for l_1_s in (undefined(name='sections') if l_0_sections is missing else l_0_sections):
        _loop_vars = {}
        pass
        yield '<tr><th scope="row">'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'name')))
        yield '</th>'
        for l_2_cell in environment.getattr(l_1_s, 'cells'):
            _loop_vars = {}
            pass
            yield '<td class="num '
            yield escape(environment.finalize(environment.getitem(l_2_cell, 1)))
            yield '">'
            yield escape(environment.finalize(environment.getitem(l_2_cell, 0)))
            yield '</td>'
        l_2_cell = missing
        yield '<td class="num">'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'percent')))
        yield '</td></tr>\n'
    l_1_s = missing
    yield '<tr><th scope="row">all</th>'
    for l_1_cell in (undefined(name='totals') if l_0_totals is missing else l_0_totals):
        _loop_vars = {}
        pass
        yield '<td class="num '
        yield escape(environment.finalize(environment.getitem(l_1_cell, 1)))
        yield '">'
        yield escape(environment.finalize(environment.getitem(l_1_cell, 0)))
        yield '</td>'
    l_1_cell = missing
    yield '<td class="num"><b>'
    yield escape(environment.finalize(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'score')))
    yield '/100</b></td></tr>\n</tbody>\n</table>\n</section>\n<section id="items">\n<h2>Items ('
    yield escape(environment.finalize((undefined(name='item_count') if l_0_item_count is missing else l_0_item_count)))
    yield ')</h2>\n<div class="controls" id="controls" hidden>\n<label>severity<select id="f-severity"><option value="">all</option>'
    for l_1_sev in (undefined(name='severities') if l_0_severities is missing else l_0_severities):
        _loop_vars = {}
        pass
        yield '<option>'
        yield escape(environment.finalize(l_1_sev))
        yield '</option>'
    l_1_sev = missing
    yield '</select></label>\n<label>outcome<select id="f-outcome"><option value="">all</option><option value="not-met">not met</option>'
    for l_1_o in (undefined(name='outcomes') if l_0_outcomes is missing else l_0_outcomes):
        _loop_vars = {}
        pass
        yield '<option>'
        yield escape(environment.finalize(l_1_o))
        yield '</option>'
    l_1_o = missing
    yield '</select></label>\n<label>section<select id="f-section"><option value="">all</option>'
    for l_1_s in (undefined(name='sections') if l_0_sections is missing else l_0_sections):
        _loop_vars = {}
        pass
        yield '<option>'
        yield escape(environment.finalize(environment.getattr(l_1_s, 'name')))
        yield '</option>'
    l_1_s = missing
    yield '</select></label>\n<label>search<input id="f-search" type="search" placeholder="id, title, evidence..." autocomplete="off"></label>\n<span id="f-count"></span><span id="f-page" hidden><button type="button" id="f-next">show more</button> <button type="button" id="f-all">show all</button></span>\n</div>\n<table id="items-table" data-page="'
    yield escape(environment.finalize((undefined(name='page_rows') if l_0_page_rows is missing else l_0_page_rows)))
    yield '">\n<thead><tr><th>outcome</th><th>severity</th><th>id</th><th>title</th><th>section</th><th class="num">weight</th><th>evidence and remediation</th></tr></thead>\n<tbody>\n'
    for l_1_part in (undefined(name='item_rows') if l_0_item_rows is missing else l_0_item_rows):
        _loop_vars = {}
        pass
        yield escape(environment.finalize(l_1_part))
    l_1_part = missing
    yield '</tbody>\n</table>\n<p id="f-empty" hidden>No item matches the filters.</p>\n</section>\n<section id="waivers">\n<h2>Waivers ('
    yield escape(environment.finalize(t_2(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'waivers'))))
    yield ')</h2>\n'
    if environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'waivers'):
        pass
        yield '<table>\n<thead><tr><th>item</th><th>state</th><th>until</th><th>by</th><th>reason</th><th>covers</th></tr></thead>\n<tbody>\n'
        for l_1_s in environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'waivers'):
            _loop_vars = {}
            pass
            yield '<tr><td class="id">'
            yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_s, 'waiver'), 'id')))
            yield '</td><td>'
            yield escape(environment.finalize(environment.getattr(l_1_s, 'state')))
            yield '</td><td>'
            yield escape(environment.finalize(context.call(environment.getattr(environment.getattr(environment.getattr(l_1_s, 'waiver'), 'until'), 'isoformat'), _loop_vars=_loop_vars)))
            yield '</td><td>'
            yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_s, 'waiver'), 'by')))
            yield '</td><td>'
            yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_s, 'waiver'), 'reason')))
            yield '</td><td class="id">'
            if environment.getattr(l_1_s, 'items'):
                pass
                yield escape(environment.finalize(t_2(environment.getattr(l_1_s, 'items'))))
                yield ': '
                yield escape(environment.finalize(t_1(context.eval_ctx, environment.getattr(l_1_s, 'items'), ', ')))
            yield '</td></tr>\n'
        l_1_s = missing
        yield '</tbody>\n</table>\n'
    else:
        pass
        yield '<p>none</p>'
    yield '</section>\n<section id="attestations">\n<h2>Attestations ('
    yield escape(environment.finalize(t_2(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'attestations'))))
    yield ')</h2>\n'
    if environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'attestations'):
        pass
        yield '<table>\n<thead><tr><th>item</th><th>state</th><th>by</th><th>on</th><th>expires</th><th>evidence</th><th>covers</th></tr></thead>\n<tbody>\n'
        for l_1_s in environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'attestations'):
            _loop_vars = {}
            pass
            yield '<tr><td class="id">'
            yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_s, 'attestation'), 'id')))
            yield '</td><td>'
            yield escape(environment.finalize(environment.getattr(l_1_s, 'state')))
            yield '</td><td>'
            yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_s, 'attestation'), 'by')))
            yield '</td><td>'
            yield escape(environment.finalize(context.call(environment.getattr(environment.getattr(environment.getattr(l_1_s, 'attestation'), 'on'), 'isoformat'), _loop_vars=_loop_vars)))
            yield '</td><td>'
            yield escape(environment.finalize(context.call(environment.getattr(environment.getattr(environment.getattr(l_1_s, 'attestation'), 'expires'), 'isoformat'), _loop_vars=_loop_vars)))
            yield '</td><td>'
            yield escape(environment.finalize((environment.getattr(environment.getattr(l_1_s, 'attestation'), 'evidence') or '')))
            yield '</td><td class="id">'
            yield escape(environment.finalize(t_1(context.eval_ctx, environment.getattr(l_1_s, 'items'), ', ')))
            yield '</td></tr>\n'
        l_1_s = missing
        yield '</tbody>\n</table>\n'
    else:
        pass
        yield '<p>none</p>'
    yield '</section>\n<section id="run">\n<h2>Run</h2>\n<dl class="run">\n'
    for (l_1_label, l_1_value) in (undefined(name='run_facts') if l_0_run_facts is missing else l_0_run_facts):
        _loop_vars = {}
        pass
        yield '<dt>'
        yield escape(environment.finalize(l_1_label))
        yield '</dt><dd>'
        yield escape(environment.finalize(l_1_value))
        yield '</dd>\n'
    l_1_label = l_1_value = missing
    yield '</dl>\n</section>\n</main>\n<footer>pytest-readiness '
    yield escape(environment.finalize((environment.getattr((undefined(name='run') if l_0_run is missing else l_0_run), 'plugin_version') or '')))
    yield ' &middot; '
    yield escape(environment.finalize(context.call(environment.getattr((undefined(name='v') if l_0_v is missing else l_0_v), 'headline'))))
    yield '</footer>\n<script>'
    yield escape(environment.finalize(t_3((undefined(name='script') if l_0_script is missing else l_0_script))))
    yield '</script>\n</body>\n</html>'

blocks = {}
debug_info = '6=57&7=59&8=61&9=67&13=69&14=71&15=75&16=80&17=91&18=94&23=103&24=106&29=108&32=114&38=125&41=128&44=138&45=142&55=164&56=168&64=178&66=186&67=190&69=206&74=218&76=220&77=228&78=236&82=244&86=246&92=252&93=254&97=257&98=261&105=283&106=285&110=288&111=292&120=312&125=322&126=326'
