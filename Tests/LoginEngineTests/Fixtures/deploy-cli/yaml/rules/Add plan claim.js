function addPlanClaim(user, context, callback) {
  context.idToken['https://acme.test/plan'] = configuration.PLAN;
  context.idToken['https://acme.test/rule'] = 'ran';
  callback(null, user, context);
}
