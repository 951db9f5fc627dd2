"""docclean's desktop app (PySide6): look at pages before and after cleaning, tune, then export.

The app calls the engine and batch runner (``docclean.batch``) and never reimplements them: a
preview is ``clean_page(page, settings, cleaner).pixels``, exactly what ``clean_batch`` writes.

Modules: ``app`` (entry point), ``window`` (main window), ``menus`` (menus, shortcuts, About),
``persist`` (QSettings), ``worker`` (preview thread), ``export`` (batch thread), ``canvas`` and
``views`` (zoomable views), ``controls`` (settings panel), ``pages`` (files and page list),
``images`` (numpy <-> QImage), ``command`` (the equivalent CLI). See docs/gui.md.
"""
