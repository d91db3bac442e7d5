"""Live views for notebooks (anywidget): ``resource.widget()`` follows a resource as it changes,
``execution.widget()`` an execution's nodes as they run.

Importing this package needs ``anywidget`` (``pip install "nebula-jupyter[lab]"``); nothing else
in ``nebula_kernel`` imports it.
"""

from nebula_kernel.widgets._execution import ExecutionWidget
from nebula_kernel.widgets._resource import ResourceWidget, resource_widget

__all__ = ["ExecutionWidget", "ResourceWidget", "resource_widget"]
