{{/* Name of the chart and of most objects. */}}
{{- define "amko.name" -}}amko{{- end -}}

{{/* Common labels. */}}
{{- define "amko.labels" -}}
app.kubernetes.io/name: amko
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: amko
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Pod selector labels (stable across upgrades). */}}
{{- define "amko.selectorLabels" -}}
app.kubernetes.io/name: amko
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "amko.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ .Values.serviceAccount.name | default "amko-sa" }}{{- else -}}{{ .Values.serviceAccount.name | default "default" }}{{- end -}}
{{- end -}}

{{- define "amko.serviceName" -}}amko-webhook{{- end -}}

{{- define "amko.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret the server reads its serving certificate from. */}}
{{- define "amko.certSecretName" -}}
{{- if eq .Values.certificates.mode "existingSecret" -}}{{ required "certificates.existingSecret is required when certificates.mode is existingSecret" .Values.certificates.existingSecret }}{{- else -}}{{ .Values.certificates.secretName }}{{- end -}}
{{- end -}}

{{/*
failurePolicy as rendered: Ignore on the first install (no replica is ready yet
and this release creates a GSLBConfig and a GDP); the server sets the
configured policy (annotation amko.vmware.com/failure-policy) once it has
injected its CA. Upgrades render the configured policy directly.
*/}}
{{- define "amko.renderedFailurePolicy" -}}
{{- if .Release.IsInstall -}}Ignore{{- else -}}{{ .Values.webhook.failurePolicy }}{{- end -}}
{{- end -}}

{{/* The product runs in avi-system only: the GSLBConfig and GDP are accepted there only. */}}
{{- define "amko.checkNamespace" -}}
{{- if ne .Release.Namespace "avi-system" -}}
{{- fail (printf "amko must be installed into the avi-system namespace (helm install ... -n avi-system), not %q" .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/* The CA bundle (base64) for the webhook configurations when the chart knows it (certificates.mode=values). */}}
{{- define "amko.caBundle" -}}
{{- if eq .Values.certificates.mode "values" -}}{{ .Values.certificates.caCrt | b64enc }}{{- end -}}
{{- end -}}

{{/* AMKO log level -> LOG_LEVEL of the server's logger. */}}
{{- define "amko.pinoLevel" -}}
{{- $m := dict "DEBUG" "debug" "INFO" "info" "WARN" "warn" "ERROR" "error" -}}
{{- get $m . | default "info" -}}
{{- end -}}
