"""The policy in English, one voice for the people who read documents and policy pages:
styled runs (`runs`), values (`values`), expressions (`expressions`), score forms
(`scores`) and the stand-ins for what only a bid can give (`preview`).
"""
