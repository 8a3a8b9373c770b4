"""The build job: article and facts in, one validated, reasoned, immutable release out."""
