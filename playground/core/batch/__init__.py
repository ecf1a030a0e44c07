"""The providers' batch APIs: run a matrix at their side within 24 hours, at half price.

``submit.BatchSink`` takes a run's cells from the runner and submits them as jobs;
``collect`` follows jobs and brings their results back into the store as ordinary cells.
One module per API (``openai``, ``anthropic``) speaks its endpoints; ``wire`` does the HTTP
(the key only to the provider's own origin); ``limits`` cuts jobs to size.
"""
